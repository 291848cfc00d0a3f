/**
 * Server-Sent Events over fetch(). EventSource cannot send an Authorization header, and the
 * alert stream takes a bearer token (RFC 6750 section 2.1) rather than a cookie or a token in
 * the URL, which would end up in logs. So this reads the body as a stream and parses the
 * event-stream format itself (HTML Living Standard, section 9.2.6), reconnecting like
 * EventSource does: after the server's `retry` delay, with Last-Event-ID so the server
 * replays what was missed.
 */

/** The server sends a comment every 15 s; this long without a byte means a dead connection. */
const SILENCE_MS = 45_000
const DEFAULT_RETRY_MS = 3_000
const MAX_RETRY_MS = 60_000

/**
 * Splits a text stream into events. `onEvent({ type, data, id })` for each dispatched event;
 * `onRetry(ms)` for a `retry` field. Fields are processed as the standard says: a leading
 * space after the colon is dropped, an `id` containing NUL is ignored, a block without data
 * dispatches nothing, comments (`: ping`) are skipped.
 */
export function createParser ({ onEvent, onRetry, lastEventId = '' }) {
  let buffer = ''
  let skipLeadingLf = false
  let type = ''
  let data = []
  let id = lastEventId

  function line (text) {
    if (text === '') {
      if (data.length > 0) onEvent({ type: type === '' ? 'message' : type, data: data.join('\n'), id })
      type = ''
      data = []
      return
    }
    if (text.startsWith(':')) return
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') type = value
    else if (field === 'data') data.push(value)
    else if (field === 'id' && !value.includes('\0')) id = value
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry?.(Number(value))
  }

  return {
    /** Feeds decoded text; lines may be cut anywhere between chunks, even inside CRLF. */
    push (chunk) {
      if (skipLeadingLf && chunk.startsWith('\n')) chunk = chunk.slice(1)
      skipLeadingLf = false
      buffer += chunk
      const lines = buffer.split(/\r\n|\r|\n/)
      buffer = lines.pop()
      // A CR at the very end may be the first half of a CRLF that the next chunk completes.
      if (buffer === '' && chunk.endsWith('\r')) skipLeadingLf = true
      for (const text of lines) line(text)
    },
    get lastEventId () { return id }
  }
}

/**
 * Opens `url` as an event stream with the bearer token and keeps it open. Callbacks:
 * `onEvent({ type, data, id })`; `onState('open' | 'reconnecting')`; `onAuthError(status)`
 * when the token is refused (401 or 403), after which it stops. `close()` ends it.
 */
export function openEventStream ({ url, token, lastEventId, onEvent, onState, onAuthError }) {
  let id = lastEventId ?? ''
  let retryMs = DEFAULT_RETRY_MS
  let failures = 0
  let closed = false
  let controller
  let reconnectTimer
  let silenceTimer

  function watchSilence () {
    clearTimeout(silenceTimer)
    silenceTimer = setTimeout(() => controller?.abort(), SILENCE_MS)
  }

  async function connect () {
    controller = new AbortController()
    const headers = { accept: 'text/event-stream', authorization: `Bearer ${token}` }
    if (id !== '') headers['last-event-id'] = id
    try {
      const res = await fetch(url, { headers, signal: controller.signal, cache: 'no-store' })
      if (res.status === 401 || res.status === 403) {
        closed = true
        onAuthError(res.status)
        return
      }
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`)
      failures = 0
      onState('open')
      const parser = createParser({
        lastEventId: id,
        onRetry: (ms) => { retryMs = ms },
        onEvent: (event) => {
          id = event.id
          onEvent(event)
        }
      })
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      watchSilence()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        watchSilence()
        parser.push(value)
      }
      id = parser.lastEventId
    } catch {
      // A network error, an abort by the silence watchdog or close(): reconnect unless closed.
    } finally {
      clearTimeout(silenceTimer)
    }
    if (closed) return
    onState('reconnecting')
    // The server's retry delay, doubled for each failure in a row so a down server is not hammered.
    failures++
    reconnectTimer = setTimeout(connect, Math.min(retryMs * 2 ** (failures - 1), MAX_RETRY_MS))
  }

  connect()
  return {
    close () {
      closed = true
      clearTimeout(reconnectTimer)
      clearTimeout(silenceTimer)
      controller?.abort()
    }
  }
}
