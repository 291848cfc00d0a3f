import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * A Server-Sent Events response (WHATWG HTML section 9.2), as /v1/live and /v1/alerts/stream
 * send it: written raw past Fastify, kept alive by a comment every 15 s so that proxies do
 * not close a quiet stream, told to reconnect after 3 s, and ended when the server closes.
 *
 * A reader that stops reading is let go rather than buffered for without bound: once more
 * than `MAX_BUFFERED_BYTES` wait for it, the stream is cut, and its EventSource reconnects
 * (with Last-Event-ID where the stream numbers its events) and carries on.
 */
const HEARTBEAT_MS = 15_000
/** Bytes waiting for one slow reader before it is disconnected. */
const MAX_BUFFERED_BYTES = 1024 * 1024
const RETRY_MS = 3_000

export interface EventStream {
  /** Writes one event's text (`event: ...\ndata: ...\n\n`), or cuts a reader that is too far behind. */
  send (text: string): void
  /** Runs `fn` once when the stream ends, however it ends. */
  onEnd (fn: () => void): void
}

/** Streams of one plugin, ended together when the server closes (else close would wait for every viewer). */
export class EventStreams {
  readonly #ends = new Set<() => void>()

  /** Takes over the reply and starts the stream; `headers` are added to the SSE ones. */
  open (request: FastifyRequest, reply: FastifyReply, headers: Record<string, string> = {}): EventStream {
    reply.hijack()
    // A stream is quiet between events by design and read for hours: the server's idle
    // timeout (connectionTimeout, build-app.ts) is meant for requests, so it is off here.
    request.raw.socket.setTimeout(0)
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers
    })
    const onEnd: Array<() => void> = []
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      clearInterval(heartbeat)
      this.#ends.delete(end)
      for (const fn of onEnd) fn()
      res.end()
    }
    const send = (text: string): void => {
      if (ended) return
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        end()
        // end() would wait for the backlog to be read; this reader will not read it.
        res.destroy()
        return
      }
      res.write(text)
    }
    const heartbeat = setInterval(() => send(': ping\n\n'), HEARTBEAT_MS)
    this.#ends.add(end)
    request.raw.on('close', end)
    res.write(`retry: ${RETRY_MS}\n\n`)
    return { send, onEnd: (fn) => { if (ended) fn(); else onEnd.push(fn) } }
  }

  endAll (): void {
    for (const end of this.#ends) end()
  }
}

/**
 * The event text of a feed item, built once however many streams send it: the same object
 * goes to every subscriber, so it keys the text (dropped with the item).
 */
export function eventTextOnce<T extends object> (item: T, format: (item: T) => string): string {
  let text = texts.get(item)
  if (text === undefined) texts.set(item, text = format(item))
  return text
}
const texts = new WeakMap<object, string>()
