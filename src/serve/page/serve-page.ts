import { existsSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The dashboard's files by the path the browser asks for. A fixed list, not a folder lookup: a
 * request path never reaches the file system, so `..` or an encoded slash can't read anything else.
 * `uplot.*` are the chart package's browser build and stylesheet, read from node_modules.
 */
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string; readonly from: 'page' | 'uplot' }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8', from: 'page' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8', from: 'page' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8', from: 'page' },
  '/assets/style.css': { file: 'style.css', type: 'text/css; charset=utf-8', from: 'page' },
  '/assets/uplot.js': { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8', from: 'uplot' },
  '/assets/uplot.css': { file: 'uPlot.min.css', type: 'text/css; charset=utf-8', from: 'uplot' },
}

/**
 * The page loads only its own files and talks only to its own server: no inline script, no other
 * origin. `style-src 'unsafe-inline'` because uPlot positions its legend and cursor with inline styles.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

let cache: Map<string, Buffer> | undefined

/**
 * Answers the dashboard's own requests — `GET`/`HEAD` of `/` (the page) and `/assets/*` (its
 * script, stylesheet and the uPlot chart build) — and returns `true`; returns `false` without
 * touching `res` for any other request, so the server goes on to its API routes. Mount it first in
 * a `node:http` handler of your own to show the page over your own API; `serve()` mounts it for
 * you. Files are read once and kept in memory.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { servePage } from 'sluice/serve'
 * createServer((req, res) => {
 *   if (servePage(req, res)) return
 *   res.writeHead(404).end()
 * }).listen(8080, '127.0.0.1')
 * ```
 */
export function servePage(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  const asset = ASSETS[path]
  if (!asset) return false
  const body = assetBody(path)
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(asset.type.startsWith('text/html') ? { 'content-security-policy': CSP } : {}),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
  return true
}

function assetBody(path: string): Buffer {
  cache ??= new Map()
  const hit = cache.get(path)
  if (hit) return hit
  const asset = ASSETS[path]!
  const file = asset.from === 'page' ? join(pageDir(), asset.file) : uplotFile(asset.file)
  const body = readFileSync(file)
  cache.set(path, body)
  return body
}

/** This module's folder: `src/serve/page` from source, the bundle's folder (`dist/`) when built. */
function hereDir(): string {
  // The CJS build has no import.meta.url; it has __dirname.
  return typeof import.meta.url === 'string' ? dirname(fileURLToPath(import.meta.url)) : __dirname
}

/**
 * Where the page's files are: next to this module when running from source, `dist/serve-page/`
 * (copied there by the build, see tsup.config.ts) when running the bundle.
 */
export function pageDir(): string {
  const here = hereDir()
  const built = join(here, 'serve-page')
  return existsSync(join(built, 'index.html')) ? built : here
}

function uplotFile(name: string): string {
  return createRequire(join(hereDir(), 'noop.js')).resolve(`uplot/dist/${name}`)
}
