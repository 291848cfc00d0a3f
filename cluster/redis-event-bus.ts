import type { Redis } from 'ioredis'
import type { BusChannel, EventBus, Unsubscribe } from '../core/ports/event-bus.js'
import { closeRedis, openRedis } from './redis-connection.js'

/**
 * The event bus over Redis pub/sub (`REDIS_URL`): one connection publishes, one listens for
 * every channel this process subscribed to (a subscribing connection can do nothing else).
 * Messages are JSON. Channel names get a prefix, so a Redis shared with other software keeps
 * its own channels apart. Redis pub/sub keeps nothing: what is published while a subscriber
 * is disconnected is lost to it, which the port allows (core/ports/event-bus.ts).
 */
export interface RedisEventBusOptions {
  /** Default `sensorstad:bus:`. */
  prefix?: string
  /** Connection trouble, and handlers that threw or messages that were not JSON. */
  onError: (err: Error) => void
}

export class RedisEventBus implements EventBus {
  readonly #pub: Redis
  readonly #sub: Redis
  readonly #prefix: string
  readonly #onError: (err: Error) => void
  readonly #handlers = new Map<string, Set<(message: unknown) => void>>()

  private constructor (pub: Redis, sub: Redis, options: RedisEventBusOptions) {
    this.#pub = pub
    this.#sub = sub
    this.#prefix = options.prefix ?? 'sensorstad:bus:'
    this.#onError = options.onError
    sub.on('message', (channel: string, text: string) => this.#deliver(channel, text))
  }

  static async open (url: string, options: RedisEventBusOptions): Promise<RedisEventBus> {
    const pub = await openRedis(url, { name: 'sensorstad-bus-pub', onError: options.onError })
    try {
      const sub = await openRedis(url, { name: 'sensorstad-bus-sub', onError: options.onError })
      return new RedisEventBus(pub, sub, options)
    } catch (err) {
      await closeRedis(pub)
      throw err
    }
  }

  async publish<T> (channel: BusChannel<T>, message: T): Promise<void> {
    await this.#pub.publish(this.#prefix + channel.name, JSON.stringify(message))
  }

  async subscribe<T> (channel: BusChannel<T>, handler: (message: T) => void): Promise<Unsubscribe> {
    const key = this.#prefix + channel.name
    let handlers = this.#handlers.get(key)
    if (handlers === undefined) {
      this.#handlers.set(key, handlers = new Set())
      // ioredis subscribes again by itself after a reconnect (autoResubscribe).
      await this.#sub.subscribe(key)
    }
    const wrapped = (message: unknown): void => handler(message as T)
    handlers.add(wrapped)
    return async () => {
      if (!handlers.delete(wrapped) || handlers.size > 0 || this.#handlers.get(key) !== handlers) return
      this.#handlers.delete(key)
      if (this.#sub.status === 'ready') await this.#sub.unsubscribe(key)
    }
  }

  async close (): Promise<void> {
    this.#handlers.clear()
    await Promise.all([closeRedis(this.#sub), closeRedis(this.#pub)])
  }

  #deliver (channel: string, text: string): void {
    const handlers = this.#handlers.get(channel)
    if (handlers === undefined) return
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      this.#onError(new Error(`event bus: a message on ${channel} is not JSON; dropped`))
      return
    }
    for (const handler of [...handlers]) {
      try { handler(message) } catch (err) { this.#onError(err instanceof Error ? err : new Error(String(err))) }
    }
  }
}
