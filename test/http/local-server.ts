import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => unknown

export interface LocalServer {
  readonly url: string
  /** Requests seen, in order. */
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[]
  /** TCP connections accepted so far. */
  connections(): number
  /** Sockets currently open. */
  openSockets(): number
  close(): Promise<void>
}

/** A real node:http server on 127.0.0.1, port 0, routing every request to `handler`. */
export async function localServer(handler: Handler): Promise<LocalServer> {
  const requests: LocalServer['requests'] = []
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      Promise.resolve(handler(req, res, body)).catch((error: unknown) => {
        res.statusCode = 599
        res.end(String(error))
      })
    })
  })
  server.on('connection', (socket) => {
    accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => accepted,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}
