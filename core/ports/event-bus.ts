/**
 * Messages between the processes of one deployment (issue #9): what one process learns that
 * another must act on, such as readings stored by a broker process that the alert engine
 * needs, or an alert raised by the jobs process that every API process streams.
 *
 * Delivery is at most once and only to subscribers listening when the message is published
 * (Redis pub/sub semantics): nothing is stored, so a message must never be the only copy of
 * anything. What the bus carries is already stored, or can be rebuilt from the stores.
 * Messages are JSON values; a handler gets an equal value, not the object published, and must
 * not change it. Per publisher, messages arrive in the order published.
 *
 * Every implementation passes `test/cluster/event-bus.conformance.ts`.
 */
export type Unsubscribe = () => Promise<void>

/** A channel's name with the type of its messages, so publisher and subscriber agree. */
export interface BusChannel<T> {
  readonly name: string
  /** Never set: carries the message type only. */
  readonly message?: T
}

export function busChannel<T> (name: string): BusChannel<T> {
  return { name }
}

export interface EventBus {
  /** Resolves once the message is handed to the bus (not once anybody received it). */
  publish<T> (channel: BusChannel<T>, message: T): Promise<void>
  /** Resolves once messages published from then on reach `handler`. */
  subscribe<T> (channel: BusChannel<T>, handler: (message: T) => void): Promise<Unsubscribe>
  close (): Promise<void>
}
