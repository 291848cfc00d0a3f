/**
 * A minimal Server-Sent Events client over fetch (an EventSource cannot send the
 * Authorization header): collects events as `{ id?, event, data }` until closed.
 */
export interface SseEvent { id?: string, event: string, data: string }

export interface SseClient {
  events: SseEvent[]
  status: number
  /** Resolves once `predicate` holds for the events so far, or rejects after `timeoutMs`. */
  until (predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>
  close (): void
}

export async function openSse (url: string, headers: Record<string, string>): Promise<SseClient> {
  const abort = new AbortController()
  const res = await fetch(url, { headers, signal: abort.signal })
  const events: SseEvent[] = []
  const waiters = new Set<() => void>()
  if (res.body !== null && res.ok) {
    (async () => {
      const decoder = new TextDecoder()
      let buffer = ''
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true })
          let end
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const event: SseEvent = { event: 'message', data: '' }
            let hasData = false
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue
              const [field, ...rest] = line.split(':')
              const value = rest.join(':').replace(/^ /, '')
              if (field === 'id') event.id = value
              if (field === 'event') event.event = value
              if (field === 'data') { event.data += (hasData ? '\n' : '') + value; hasData = true }
            }
            if (hasData) events.push(event)
          }
          for (const wake of waiters) wake()
        }
      } catch {}
    })().catch(() => {})
  }
  return {
    events,
    status: res.status,
    async until (predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(events)) {
        if (Date.now() > deadline) throw new Error(`SSE condition not met; got ${events.map((e) => e.event).join(', ')}`)
        await new Promise<void>((resolve) => {
          const wake = (): void => { waiters.delete(wake); resolve() }
          waiters.add(wake)
          setTimeout(wake, 50)
        })
      }
      return events
    },
    close () { abort.abort() }
  }
}
