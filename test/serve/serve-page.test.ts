import { readFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { servePage } from '../../src/serve/page/serve-page.js'

let server: Server
let base = ''

beforeAll(async () => {
  // Whatever servePage leaves alone gets a 404 marked as the server's own.
  server = createServer((req, res) => {
    if (!servePage(req, res)) res.writeHead(404, { 'x-fallthrough': '1' }).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

/** A raw request: the path goes out exactly as written (fetch would normalise `..`). */
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { method, path }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('servePage', () => {
  it('answers / with the dashboard HTML under a same-origin content security policy', async () => {
    const res = await get('/')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.body.toString()).toContain('<script type="module" src="/assets/app.js"></script>')
  })

  it('answers every file the page refers to, each with its content type', async () => {
    const html = (await get('/')).body.toString()
    const refs = [...html.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!)
    expect(refs.sort()).toEqual(['/assets/app.js', '/assets/style.css', '/assets/uplot.css', '/assets/uplot.js'])
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }
    for (const ref of refs) {
      const res = await get(ref)
      expect(res.status, ref).toBe(200)
      expect(res.headers['content-type'], ref).toBe(types[ref.split('.').pop()!])
      expect(res.body.length, ref).toBeGreaterThan(100)
    }
  })

  it('serves uPlot\'s browser build from node_modules', async () => {
    const file = createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js')
    expect((await get('/assets/uplot.js')).body.equals(readFileSync(file))).toBe(true)
  })

  it('answers HEAD with the length and no body', async () => {
    const res = await get('/assets/app.js', 'HEAD')
    expect(res.status).toBe(200)
    expect(Number(res.headers['content-length'])).toBe((await get('/assets/app.js')).body.length)
    expect(res.body.length).toBe(0)
  })

  it('leaves everything else to the server: other paths, other methods, and paths that try to leave the page folder', async () => {
    for (const path of ['/api/overview', '/assets/serve-page.ts', '/assets/../serve-page.ts', '/assets/..%2fserve-page.ts', '/assets/app.js/', '/metrics', '/index.htm']) {
      const res = await get(path)
      expect(res.headers['x-fallthrough'], path).toBe('1')
    }
    expect((await get('/', 'POST')).headers['x-fallthrough']).toBe('1')
  })
})
