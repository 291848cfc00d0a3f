import type { BusChannel, EventBus, Unsubscribe } from '../core/ports/event-bus.js'

/**
 * The event bus of one process (`npm start` without REDIS_URL): the same contract as the
 * Redis bus, so the all-in-one process runs the code paths a cluster runs. Messages are
 * delivered on a later turn of the event loop, as they would be over the network, and the
 * published object itself is handed on (no copy): publishers never change what they sent.
 */
export class MemoryEventBus implements EventBus {
  readonly #handlers = new Map<string, Set<(message: unknown) => void>>()
  readonly #onError: (err: unknown) => void
  #closed = false

  constructor (options: { onError?: (err: unknown) => void } = {}) {
    this.#onError = options.onError ?? (() => {})
  }

  async publish<T> (channel: BusChannel<T>, message: T): Promise<void> {
    if (this.#closed) throw new Error('event bus closed')
    const handlers = this.#handlers.get(channel.name)
    if (handlers === undefined) return
    // Copied now: a handler added between publish and delivery did not hear it.
    const targets = [...handlers]
    setImmediate(() => {
      for (const handler of targets) {
        if (!handlers.has(handler)) continue
        try { handler(message) } catch (err) { this.#onError(err) }
      }
    })
  }

  async subscribe<T> (channel: BusChannel<T>, handler: (message: T) => void): Promise<Unsubscribe> {
    if (this.#closed) throw new Error('event bus closed')
    let handlers = this.#handlers.get(channel.name)
    if (handlers === undefined) this.#handlers.set(channel.name, handlers = new Set())
    // Wrapped, so the same function subscribed twice is two subscriptions, as on Redis.
    const wrapped = (message: unknown): void => handler(message as T)
    handlers.add(wrapped)
    return async () => { handlers.delete(wrapped) }
  }

  async close (): Promise<void> {
    this.#closed = true
    this.#handlers.clear()
  }
}
