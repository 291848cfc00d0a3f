import type { AlertEvent } from '../alerts.js'

/**
 * Where alert events are kept (with the crowd kind's retention). Implementations: memory
 * reference, DuckDB and PostgreSQL (`store/`), all passing `test/store/alert-store.conformance.ts`.
 */
export interface AlertQuery {
  zoneId?: string
  /** Only events with an id greater than this (SSE resume with Last-Event-ID). */
  afterId?: string
  /** Only events at or after this time (epoch ms). */
  since?: number
  /** Newest first when false (default); oldest first when true (replay). */
  ascending?: boolean
  /** Default 100. */
  limit?: number
}

export interface AlertStore {
  /** Stores the event with the next id (increasing across restarts) and returns it. */
  append (event: Omit<AlertEvent, 'id'>): Promise<AlertEvent>
  list (query: AlertQuery): Promise<AlertEvent[]>
  get (id: string): Promise<AlertEvent | undefined>
  /** Records who acknowledged; a second acknowledgement keeps the first. Undefined if no such event. */
  acknowledge (id: string, ack: NonNullable<AlertEvent['ack']>): Promise<AlertEvent | undefined>
  /** Retention: deletes events before `before` (epoch ms); returns how many. */
  deleteBefore (before: number): Promise<number>
  close (): Promise<void>
}
