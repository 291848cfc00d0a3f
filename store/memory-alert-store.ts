import type { AlertEvent } from '../core/alerts.js'
import { SensorstadError } from '../core/errors.js'
import type { AlertQuery, AlertStore } from '../core/ports/alert-store.js'
import { alertBounds, checkedAck, checkedBefore, checkedEvent, eventNumber, type AlertAck, type NewAlertEvent } from './alert-query.js'

interface Stored {
  n: number
  timeMs: number
  event: AlertEvent
}

/**
 * The reference implementation of the alert port: one Map, no persistence. It is what the
 * conformance suite is written against, and what tests of other modules use.
 *
 * Every event in and out is a copy, so neither the caller's later changes nor changes to an
 * answer reach what is stored.
 */
export class MemoryAlertStore implements AlertStore {
  /** Keyed by id number; inserted in increasing id order, so iteration is ascending. */
  readonly #events = new Map<number, Stored>()
  /** Not derived from the Map: retention may empty it, and ids must still not repeat. */
  #lastId = 0
  #closed = false

  async append (event: NewAlertEvent): Promise<AlertEvent> {
    this.#assertOpen()
    const checked = checkedEvent(event)
    const n = ++this.#lastId
    const stored: AlertEvent = { id: String(n), ...checked.event }
    this.#events.set(n, { n, timeMs: checked.timeMs, event: stored })
    return structuredClone(stored)
  }

  async list (query: AlertQuery): Promise<AlertEvent[]> {
    this.#assertOpen()
    const b = alertBounds(query)
    const rows = [...this.#events.values()].filter((s) =>
      (b.zoneId === undefined || s.event.zoneId === b.zoneId) &&
      (b.afterId === undefined || s.n > b.afterId) &&
      (b.since === undefined || s.timeMs >= b.since))
    if (!b.ascending) rows.reverse()
    return rows.slice(0, b.limit).map((s) => structuredClone(s.event))
  }

  async get (id: string): Promise<AlertEvent | undefined> {
    this.#assertOpen()
    const stored = this.#find(id)
    return stored === undefined ? undefined : structuredClone(stored.event)
  }

  async acknowledge (id: string, ack: AlertAck): Promise<AlertEvent | undefined> {
    this.#assertOpen()
    const checked = checkedAck(ack)
    const stored = this.#find(id)
    if (stored === undefined) return undefined
    // The first acknowledgement wins: a second responder must not erase who acted first.
    stored.event.ack ??= checked
    return structuredClone(stored.event)
  }

  async deleteBefore (before: number): Promise<number> {
    this.#assertOpen()
    checkedBefore(before)
    let deleted = 0
    for (const [n, s] of this.#events) {
      if (s.timeMs < before) {
        this.#events.delete(n)
        deleted++
      }
    }
    return deleted
  }

  async close (): Promise<void> {
    this.#closed = true
  }

  #find (id: string): Stored | undefined {
    const n = eventNumber(id)
    return n === undefined ? undefined : this.#events.get(n)
  }

  #assertOpen (): void {
    if (this.#closed) throw new SensorstadError('STORE_ERR_UNAVAILABLE', 'The alert store is closed')
  }
}
