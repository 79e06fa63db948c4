// The `sluice serve` dashboard: plain ES module, no build step. It reads the server's page JSON
// (GET /api/…, read-only, no credentials) and sends state changes (POST …/sync, /pause, /resume)
// with HTTP Basic from the API key and secret the user types once; they live in sessionStorage,
// i.e. in this tab only. Everything from the server is put in the page as text, never as HTML.
/* global uPlot */

const REFRESH_MS = 5000 // the overview and the open connector are re-read this often
const CREDENTIALS = 'sluice.apiCredentials'

const state = {
  overview: undefined,
  selected: new URLSearchParams(location.search).get('connector') ?? undefined,
  openSync: undefined,
  chart: undefined,
  timer: undefined,
}

// ---------- small helpers ----------

/** `h('td', { class: 'num' }, 'text', child)`: an element with attributes and text/element children. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (k === 'class') el.className = v
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c))
  return el
}

const $ = (sel) => document.querySelector(sel)

/** ISO time for people, in UTC so that every viewer reads the same: `2026-11-22 10:00:03Z`. */
function when(iso) {
  if (!iso) return '–'
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/** Milliseconds for people: `850 ms`, `4.2 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
function duration(ms) {
  if (ms === undefined || ms === null) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`
  const hr = Math.floor(m / 60)
  if (hr < 48) return `${hr} h ${m % 60} min`
  return `${Math.floor(hr / 24)} d ${hr % 24} h`
}

const count = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US'))

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } })
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
  return res.json()
}

function banner(text, kind = 'error') {
  const el = $('#banner')
  el.textContent = text ?? ''
  el.className = `banner ${kind}`
  el.hidden = !text
}

// ---------- credentials and actions ----------

function savedCredentials() {
  try {
    return JSON.parse(sessionStorage.getItem(CREDENTIALS) ?? 'null') ?? undefined
  } catch {
    return undefined
  }
}

/** Asks for the key and secret once per tab (a <dialog>); resolves to them, or undefined when cancelled. */
function askCredentials() {
  const dialog = $('#auth')
  $('#auth-key').value = ''
  $('#auth-secret').value = ''
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (dialog.returnValue !== 'ok') return resolve(undefined)
      const creds = { key: $('#auth-key').value, secret: $('#auth-secret').value }
      sessionStorage.setItem(CREDENTIALS, JSON.stringify(creds))
      $('#sign-out').hidden = false
      resolve(creds)
    }, { once: true })
    dialog.showModal()
  })
}

/** POSTs a state change with HTTP Basic; asks for the credentials first, and again after a 401. */
async function act(id, action) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const creds = savedCredentials() ?? (await askCredentials())
    if (!creds) return
    // btoa takes Latin-1; encode first so that a non-ASCII secret still goes out as UTF-8.
    const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`${creds.key}:${creds.secret}`)))
    const res = await fetch(`/api/connectors/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
    })
    const body = await res.json().catch(() => ({}))
    if (res.status === 401) {
      sessionStorage.removeItem(CREDENTIALS)
      banner('The API key or secret was refused; enter them again.')
      continue
    }
    if (res.status === 409 && body.code === 'AlreadyRunning') banner(`${id}: a sync is already running.`, 'info')
    else if (!res.ok) banner(`${id}: ${action} failed: ${body.message ?? `HTTP ${res.status}`}`)
    else banner(action === 'sync' ? `${id}: sync started.` : `${id}: ${body.paused ? 'paused' : 'resumed'}.`, 'info')
    await refreshing // a refresh that read before this change is not enough: read again after it
    await refresh()
    return
  }
}

// ---------- overview: connectors and leases ----------

function stateBadge(c) {
  return h('span', { class: `badge ${c.state}` }, c.state)
}

function renderConnectors(overview) {
  const body = $('#connectors tbody')
  body.replaceChildren()
  $('#no-connectors').hidden = overview.connectors.length > 0
  for (const c of overview.connectors) {
    const lag = c.freshnessLagMs === undefined ? '–' : duration(c.freshnessLagMs)
    const row = h('tr', { 'data-id': c.id, class: [c.late ? 'late' : '', c.id === state.selected ? 'selected' : ''].join(' ').trim() || undefined },
      h('td', {}, h('a', { href: `?connector=${encodeURIComponent(c.id)}`, class: 'conn', onclick: (e) => { e.preventDefault(); select(c.id) } }, c.id),
        h('div', { class: 'small muted where', title: c.warehouse }, c.warehouse)),
      h('td', { class: 'state', 'data-label': 'State' }, stateBadge(c), c.paused && c.state !== 'paused' ? h('span', { class: 'badge paused' }, 'paused') : undefined),
      h('td', { class: 'last-success', 'data-label': 'Last success' }, when(c.lastSuccessAt)),
      h('td', { class: 'last-failure', 'data-label': 'Last failure' }, when(c.lastFailureAt)),
      h('td', { class: 'next-run', 'data-label': 'Next run' }, c.nextRunAt ? when(c.nextRunAt) : c.schedule ? '–' : 'no schedule',
        c.schedule ? h('div', { class: 'small muted' }, c.schedule) : undefined),
      h('td', { class: 'lag', 'data-label': 'Freshness lag' }, lag, c.late ? h('span', { class: 'badge failing', title: 'Longer since the last success than the schedule allows' }, 'late') : undefined),
      h('td', { class: 'num mar', 'data-label': 'MAR this month' }, count(c.marThisMonth)),
      h('td', { class: 'actions', 'data-label': 'Actions' }, h('div', { class: 'buttons' },
        h('button', {
          type: 'button', class: 'sync', disabled: !c.canSync || c.paused || c.state === 'syncing', onclick: () => act(c.id, 'sync'),
          title: !c.canSync ? 'Read from its warehouse only: serve its connector folder to sync it from here' : c.paused ? 'Paused: resume it first' : 'Start a sync now',
        }, 'Sync now'),
        h('button', { type: 'button', class: c.paused ? 'resume' : 'pause', disabled: !c.canSync, onclick: () => act(c.id, c.paused ? 'resume' : 'pause') }, c.paused ? 'Resume' : 'Pause'),
      )),
    )
    body.append(row)
  }
}

function renderLeases(overview) {
  const body = $('#leases tbody')
  body.replaceChildren()
  if (overview.leases.length === 0) body.append(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No lease is held: nothing is syncing.')))
  for (const l of overview.leases) body.append(h('tr', {}, h('td', {}, l.name), h('td', {}, l.holder), h('td', {}, when(l.expiresAt))))
}

/** A fleet's workers and queue depths (`serve({ fleet })`): hidden when the server has no fleet. */
function renderFleet(overview) {
  const section = $('#fleet')
  section.hidden = !overview.fleet
  if (!overview.fleet) return
  const names = [...new Set(overview.fleet.workers.map((w) => w.name))]
  $('#fleet-workers').textContent = names.length === 0 ? 'No worker is connected.' : `${names.length} worker${names.length === 1 ? '' : 's'}: ${names.join(', ')}`
  const body = $('#queues tbody')
  body.replaceChildren()
  for (const [queue, counts] of Object.entries(overview.fleet.queues)) {
    const n = (k) => h('td', { class: 'num' }, count(counts[k] ?? 0))
    body.append(h('tr', { 'data-queue': queue }, h('td', {}, queue), n('waiting'), n('active'), n('delayed'), n('waiting-children'), n('failed')))
  }
}

// ---------- one connector: timeline, syncs, MAR, schema changes ----------

function syncTables(s) {
  return Object.entries(s.tables ?? {})
}

function renderSyncs(syncs) {
  const line = $('#timeline')
  line.replaceChildren()
  const oldestFirst = [...syncs].reverse()
  const longest = Math.max(1, ...syncs.map((s) => s.durationMs ?? 0))
  for (const s of oldestFirst) {
    const label = `${when(s.startedAt)} · ${s.status}${s.stopReason ? ` (${s.stopReason})` : ''} · ${duration(s.durationMs)} · ${count(s.rows)} rows`
    line.append(h('li', {},
      h('button', {
        type: 'button', class: `tick ${s.status}${s.syncId === state.openSync ? ' open' : ''}`, title: label, 'aria-label': label,
        'data-sync-id': s.syncId, style: `--h:${Math.max(18, Math.round((100 * (s.durationMs ?? 0)) / longest))}%`,
        onclick: () => openSync(s),
      }),
    ))
  }
  const body = $('#syncs tbody')
  body.replaceChildren()
  if (syncs.length === 0) body.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No sync yet.')))
  for (const s of syncs) {
    body.append(h('tr', { 'data-sync-id': s.syncId, class: `clickable${s.syncId === state.openSync ? ' open' : ''}`, tabindex: 0, onclick: () => openSync(s), onkeydown: (e) => { if (e.key === 'Enter') openSync(s) } },
      h('td', {}, when(s.startedAt)),
      h('td', {}, h('span', { class: `badge ${s.status}` }, s.status), s.stopReason ? h('span', { class: 'small muted' }, ` ${s.stopReason}`) : undefined),
      h('td', { class: 'num' }, duration(s.durationMs)),
      h('td', { class: 'num' }, count(s.rows)),
      h('td', { class: 'small' }, syncTables(s).map(([t, c]) => `${t} ${count(c.upserts + c.updates)}${c.deletes ? ` −${count(c.deletes)}` : ''}`).join(' · ') || '–'),
    ))
  }
}

/** Click-through: the sync's error, its rows per table, and the `_sluice_errors` rows it recorded. */
async function openSync(s) {
  state.openSync = s.syncId
  const box = $('#sync-detail')
  box.hidden = false
  box.replaceChildren(h('h4', {}, `Sync ${s.syncId}`), h('p', { class: 'muted small' }, 'loading…'))
  for (const el of document.querySelectorAll('[data-sync-id]')) el.classList.toggle('open', el.dataset.syncId === s.syncId)
  let errors = []
  try {
    errors = await getJson(`/api/connectors/${encodeURIComponent(state.selected)}/syncs/${encodeURIComponent(s.syncId)}/errors`)
  } catch (e) {
    banner(String(e.message ?? e))
  }
  if (state.openSync !== s.syncId) return
  const tables = syncTables(s)
  box.replaceChildren(
    h('h4', {}, `Sync ${s.syncId} `, h('span', { class: `badge ${s.status}` }, s.status)),
    h('p', { class: 'small' }, `${when(s.startedAt)} → ${when(s.endedAt)} · ${duration(s.durationMs)} · ${count(s.rows)} rows${s.stopReason ? ` · stopped: ${s.stopReason}` : ''}`),
    s.error ? h('div', { class: 'error-box' }, h('strong', {}, s.error.code), ' ', h('pre', {}, s.error.message)) : undefined,
    h('h5', {}, 'Rows per table'),
    tables.length === 0 ? h('p', { class: 'muted small' }, 'No table was written.') : h('div', { class: 'scroll' }, h('table', { class: 'sync-tables' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Table'), h('th', { class: 'num' }, 'Upserts'), h('th', { class: 'num' }, 'Updates'), h('th', { class: 'num' }, 'Deletes'), h('th', { class: 'num' }, 'Truncates'))),
      h('tbody', {}, tables.map(([t, c]) => h('tr', {}, h('td', {}, t), h('td', { class: 'num' }, count(c.upserts)), h('td', { class: 'num' }, count(c.updates)), h('td', { class: 'num' }, count(c.deletes)), h('td', { class: 'num' }, count(c.truncates))))),
    )),
    h('h5', {}, `Recorded errors (${errors.length})`),
    errors.length === 0 ? h('p', { class: 'muted small' }, 'None recorded in _sluice_errors.') : h('div', { class: 'scroll' }, h('table', { class: 'sync-errors' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Code'), h('th', {}, 'Table'), h('th', {}, 'Message'), h('th', {}, 'Record'))),
      h('tbody', {}, errors.map((e) => h('tr', {}, h('td', {}, e.kind ?? ''), h('td', {}, e.code ?? ''), h('td', {}, e.table ?? ''), h('td', {}, h('pre', {}, e.message ?? '')),
        h('td', {}, h('pre', { class: 'small' }, e.record ? JSON.stringify(e.record) : e.context ? JSON.stringify(e.context) : ''))))),
    )),
  )
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#475569']

/** MAR per table per month as a uPlot chart (points joined per table, the total, the budget line). */
function renderMar(mar) {
  const months = [...new Set(mar.usage.map((u) => u.month))].sort()
  const tables = [...new Set(mar.usage.map((u) => u.table))].sort()
  const rowsOf = (t, m) => mar.usage.filter((u) => u.table === t && u.month === m).reduce((a, u) => a + u.rows, 0)
  const approx = mar.usage.some((u) => u.approximate)
  const totals = months.map((m) => tables.reduce((a, t) => a + rowsOf(t, m), 0))

  // The numbers as a table too: exact figures, and readable without the canvas.
  $('#mar-table thead').replaceChildren(h('tr', {}, h('th', {}, 'Table'), months.map((m) => h('th', { class: 'num' }, m))))
  const body = $('#mar-table tbody')
  body.replaceChildren()
  for (const t of tables) body.append(h('tr', { 'data-table': t }, h('td', {}, t), months.map((m) => h('td', { class: 'num' }, count(rowsOf(t, m))))))
  if (tables.length) body.append(h('tr', { class: 'total' }, h('td', {}, approx ? 'Total (approximate)' : 'Total'), totals.map((v) => h('td', { class: 'num' }, count(v)))))
  if (mar.budget) body.append(h('tr', { class: 'budget' }, h('td', {}, 'Budget'), months.map(() => h('td', { class: 'num' }, count(mar.budget.monthly)))))

  const list = $('#thresholds')
  list.replaceChildren()
  if (mar.thresholds.length === 0) list.append(h('li', { class: 'muted' }, mar.budget ? 'None fired.' : 'No MAR budget is set.'))
  for (const t of mar.thresholds) list.append(h('li', {}, `${t.month}: ${Math.round(t.threshold * 100)} % of the budget reached at ${count(t.rows)} rows (${when(t.firedAt)})`))

  const box = $('#mar-chart')
  state.chart?.destroy()
  state.chart = undefined
  box.replaceChildren()
  if (months.length === 0) {
    box.append(h('p', { class: 'muted small' }, 'No rows metered yet.'))
    return
  }
  const xs = months.map((_, i) => i)
  const series = [{ label: 'month', value: (u, i) => (i === null ? '' : months[Math.round(i)] ?? '') }]
  const data = [xs]
  tables.forEach((t, i) => {
    series.push({ label: t, stroke: PALETTE[i % PALETTE.length], width: 2, points: { size: 8 }, value: (u, v) => count(v) })
    data.push(months.map((m) => rowsOf(t, m)))
  })
  if (tables.length > 1) {
    series.push({ label: 'total', stroke: '#111827', width: 1, dash: [2, 3], points: { size: 6 }, value: (u, v) => count(v) })
    data.push(totals)
  }
  if (mar.budget) {
    series.push({ label: 'budget', stroke: '#dc2626', width: 2, dash: [8, 5], points: { show: false }, value: (u, v) => count(v) })
    data.push(months.map(() => mar.budget.monthly))
    for (const w of mar.budget.warnAt ?? []) {
      if (w >= 1) continue
      series.push({ label: `${Math.round(w * 100)} %`, stroke: '#f59e0b', width: 1, dash: [3, 4], points: { show: false }, value: (u, v) => count(v) })
      data.push(months.map(() => Math.round(mar.budget.monthly * w)))
    }
  }
  const width = Math.max(280, box.clientWidth || 600)
  state.chart = new uPlot({
    width, height: 240,
    scales: { x: { time: false, range: () => [-0.5, months.length - 0.5] }, y: { range: (u, min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: [
      { splits: () => xs, values: (u, ticks) => ticks.map((i) => months[i] ?? '') },
      { size: 64, values: (u, ticks) => ticks.map((v) => (v >= 1e6 ? `${v / 1e6} M` : v >= 1e3 ? `${v / 1e3} k` : String(v))) },
    ],
    cursor: { drag: { x: false, y: false } },
    series,
  }, data, box)
}

// The chart has a fixed pixel width: follow its box when the window (or a phone's rotation) changes it.
new ResizeObserver(() => {
  const width = Math.max(280, $('#mar-chart').clientWidth)
  if (state.chart && Math.abs(state.chart.width - width) > 1) state.chart.setSize({ width, height: 240 })
}).observe($('#mar-chart'))

function renderSchemaChanges(entries) {
  const body = $('#schema-changes tbody')
  body.replaceChildren()
  if (entries.length === 0) body.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No schema change recorded.')))
  for (const e of [...entries].sort((a, b) => (a.at < b.at ? 1 : -1))) {
    const type = e.oldType && e.newType ? `${e.oldType} → ${e.newType}` : (e.newType ?? e.oldType ?? '')
    body.append(h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.table), h('td', {}, e.column ?? '–'), h('td', {}, h('code', {}, e.change)), h('td', {}, type)))
  }
}

async function renderDetail() {
  const id = state.selected
  const section = $('#detail')
  if (!id) {
    section.hidden = true
    return
  }
  const base = `/api/connectors/${encodeURIComponent(id)}`
  // Each part on its own: one that can't be read says so in its place, the others still show.
  const [syncs, mar, schema] = await Promise.allSettled([getJson(`${base}/syncs?limit=50`), getJson(`${base}/mar`), getJson(`${base}/schema-changes`)])
  if (state.selected !== id) return
  section.hidden = false
  $('#detail-id').textContent = id
  const failed = (box, r) => box.replaceChildren(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, `Could not be read: ${r.reason?.message ?? r.reason}`)))
  if (syncs.status === 'fulfilled') renderSyncs(syncs.value)
  else failed($('#syncs tbody'), syncs)
  if (mar.status === 'fulfilled') renderMar(mar.value)
  else failed($('#mar-table tbody'), mar)
  if (schema.status === 'fulfilled') renderSchemaChanges(schema.value)
  else failed($('#schema-changes tbody'), schema)
  if (syncs.status !== 'fulfilled') return
  const open = syncs.value.find((s) => s.syncId === state.openSync)
  if (open) await openSync(open)
  else $('#sync-detail').hidden = true
}

function select(id) {
  state.selected = id
  state.openSync = undefined
  history.replaceState(null, '', `?connector=${encodeURIComponent(id)}`)
  for (const row of document.querySelectorAll('#connectors tbody tr')) row.classList.toggle('selected', row.dataset.id === id)
  renderDetail().catch((e) => banner(String(e.message ?? e)))
}

// ---------- refresh loop ----------

let refreshing
async function refresh() {
  // One refresh at a time: an action's refresh waits for the timer's instead of racing it.
  refreshing ??= (async () => {
    try {
      const overview = await getJson('/api/overview')
      state.overview = overview
      if (!state.selected || !overview.connectors.some((c) => c.id === state.selected)) state.selected = overview.connectors[0]?.id
      renderConnectors(overview)
      renderLeases(overview)
      renderFleet(overview)
      $('#generated').textContent = `as of ${when(overview.generatedAt)}`
      await renderDetail()
      if ($('#banner').classList.contains('error') && $('#banner').textContent.startsWith('Cannot reach')) banner(undefined)
    } catch (e) {
      banner(`Cannot reach the sluice server: ${e.message ?? e}`)
    } finally {
      refreshing = undefined
    }
  })()
  return refreshing
}

$('#sign-out').hidden = !savedCredentials()
$('#sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(CREDENTIALS)
  $('#sign-out').hidden = true
})
refresh().finally(() => {
  state.timer = setInterval(() => { if (!document.hidden) refresh() }, REFRESH_MS)
  document.body.dataset.ready = 'true'
})
