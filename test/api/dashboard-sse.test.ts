import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { dashboardCsp, tileImageSource } from '../../api/routes/dashboard.js'

/**
 * The dashboards' event-stream client (api/dashboard/sse.js), run in Node, which has the same
 * fetch, streams and TextDecoderStream as the browser: the parser against the cases of the
 * HTML standard's event-stream format, and reconnection with Last-Event-ID against a server
 * that drops the stream. Plus the CSP source derived from the tile URL.
 */
interface ParsedEvent { type: string, data: string, id: string }
interface SseModule {
  createParser (options: { onEvent: (event: ParsedEvent) => void, onRetry?: (ms: number) => void, lastEventId?: string }): { push (chunk: string): void, readonly lastEventId: string }
  openEventStream (options: { url: string, token: string, lastEventId?: string, onEvent: (event: ParsedEvent) => void, onState: (state: string) => void, onAuthError: (status: number) => void }): { close (): void }
}
// A browser module without type declarations: loaded by URL and typed here.
const sse = await import(new URL('../../api/dashboard/sse.js', import.meta.url).href) as SseModule

function parse (chunks: string[]): { events: ParsedEvent[], retries: number[] } {
  const events: ParsedEvent[] = []
  const retries: number[] = []
  const parser = sse.createParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) })
  for (const chunk of chunks) parser.push(chunk)
  return { events, retries }
}

describe('event-stream parser', () => {
  it('dispatches on a blank line, with the event type, joined data lines and the id', () => {
    const { events } = parse(['id: 7\nevent: alert\ndata: {"a":\ndata: 1}\n\n', 'data: plain\n\n'])
    expect(events).toEqual([
      { type: 'alert', data: '{"a":\n1}', id: '7' },
      // No event field: "message"; the id carries over until another one is sent.
      { type: 'message', data: 'plain', id: '7' }
    ])
  })

  it('puts lines back together across chunks, also a CRLF split between two chunks', () => {
    const { events } = parse(['event: zo', 'nes\r', '\ndata: [1,', '2]\r\n', '\r\n', 'data: x\r\r'])
    expect(events).toEqual([{ type: 'zones', data: '[1,2]', id: '' }, { type: 'message', data: 'x', id: '' }])
  })

  it('skips comments (heartbeats), blocks without data and ids containing NUL; reads retry', () => {
    const { events, retries } = parse([': ping\n\n', 'retry: 3000\n\n', 'event: alert\n\n', 'id: 1\0\ndata: a\n\n', 'retry: soon\n\n', 'data:no space\n\n'])
    expect(events).toEqual([{ type: 'message', data: 'a', id: '' }, { type: 'message', data: 'no space', id: '' }])
    expect(retries).toEqual([3000])
  })
})

describe('event stream over fetch', () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  })

  async function serve (handler: (headers: IncomingHttpHeaders, res: import('node:http').ServerResponse, attempt: number) => void): Promise<string> {
    let attempt = 0
    server = createServer((req, res) => handler(req.headers, res, attempt++))
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`
  }

  it('sends the bearer token, and reconnects after a drop with Last-Event-ID of the last event seen', async () => {
    const requests: IncomingHttpHeaders[] = []
    const url = await serve((headers, res, attempt) => {
      requests.push(headers)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      if (attempt === 0) {
        res.end('retry: 10\n\nid: 41\nevent: alert\ndata: {"id":"41"}\n\n')
      } else {
        res.write('id: 42\nevent: alert\ndata: {"id":"42"}\n\n')
      }
    })
    const events: ParsedEvent[] = []
    const states: string[] = []
    const stream = sse.openEventStream({ url, token: 'tok', lastEventId: '40', onEvent: (e) => events.push(e), onState: (s) => states.push(s), onAuthError: () => {} })
    try {
      await expect.poll(() => events.length).toBe(2)
    } finally {
      stream.close()
    }
    expect(events.map((e) => e.id)).toEqual(['41', '42'])
    expect(requests.map((h) => [h.authorization, h['last-event-id'], h.accept])).toEqual([
      ['Bearer tok', '40', 'text/event-stream'],
      ['Bearer tok', '41', 'text/event-stream']
    ])
    expect(states).toEqual(['open', 'reconnecting', 'open'])
  })

  it('stops and reports a refused token instead of retrying it', async () => {
    let calls = 0
    const url = await serve((_headers, res) => {
      calls++
      res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{}')
    })
    const refused: number[] = []
    sse.openEventStream({ url, token: 'bad', onEvent: () => {}, onState: () => {}, onAuthError: (status) => refused.push(status) })
    await expect.poll(() => refused).toEqual([401])
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(calls).toBe(1)
  })
})

describe('dashboard CSP', () => {
  it('allows the tile host of the template, with a wildcard for {s} subdomains', () => {
    expect(tileImageSource('https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png')).toBe('https://service.pdok.nl')
    expect(tileImageSource('https://{s}.tile.example.org:8443/{z}/{x}/{y}{r}.png')).toBe('https://*.tile.example.org:8443')
    expect(tileImageSource('/tiles/{z}/{x}/{y}.png')).toBe("'self'")
    expect(() => tileImageSource('tiles/{z}/{x}/{y}.png')).toThrow(expect.objectContaining({ code: 'CONFIG_ERR_INVALID' }))
    expect(() => tileImageSource('ftp://tiles.example/{z}/{x}/{y}.png')).toThrow(expect.objectContaining({ code: 'CONFIG_ERR_INVALID' }))
  })

  it('runs only our own scripts and styles', () => {
    expect(dashboardCsp('https://tiles.example/{z}/{x}/{y}.png')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https://tiles.example; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
  })
})
