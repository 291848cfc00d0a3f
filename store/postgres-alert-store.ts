import type { AlertEvent } from '../core/alerts.js'
import { SensorstadError } from '../core/errors.js'
import type { AlertQuery, AlertStore } from '../core/ports/alert-store.js'
import { alertBounds, checkedAck, checkedBefore, checkedEvent, eventNumber, type AlertAck, type NewAlertEvent } from './alert-query.js'
import { PostgresDatabase, type PostgresDatabaseOptions, type Row } from '../db/postgres-database.js'
import type { Migration } from '../db/postgres-migrations.js'

/*
 * Layout. `event` is the event as JSON without its id and acknowledgement; `ack` is the
 * acknowledgement as JSON, NULL until there is one, in its own column so that the first can
 * be kept by one atomic UPDATE. `zone_id` and `time` (bigint epoch ms) repeat two fields of
 * `event` so filters and retention need not parse it. `json` (not `jsonb`) keeps the text as
 * written, so a `time` with a finer fraction than ms reads back as given.
 *
 * `alert_ids` holds one row, the highest id ever issued: retention can delete every event (a
 * quiet month), and a client resuming with Last-Event-ID must never see an id issued twice.
 */
const MIGRATIONS: readonly Migration[] = [{
  version: 1,
  name: 'alert events and the id counter',
  sql: `
    CREATE TABLE alert_events (
      id bigint PRIMARY KEY, zone_id text NOT NULL, time bigint NOT NULL, event json NOT NULL, ack json);
    CREATE INDEX alert_events_zone_id ON alert_events (zone_id, id);
    CREATE INDEX alert_events_time ON alert_events (time);
    CREATE TABLE alert_ids (
      only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), last_id bigint NOT NULL);
    INSERT INTO alert_ids (last_id) VALUES (0)`
}]

/*
 * One statement, so one transaction: the counter's row lock is held until the event row is
 * committed. Appends from every process therefore commit in id order, and an event becomes
 * visible only after every event with a smaller id. A sequence would not do that: a process
 * could take id 5, stall, and commit after another committed 6, and a client that had read
 * 6 would resume after it and never see 5. A failed insert rolls the counter back: no gap.
 */
const APPEND = `WITH next AS (UPDATE alert_ids SET last_id = last_id + 1 RETURNING last_id)
  INSERT INTO alert_events (id, zone_id, time, event, ack)
  SELECT last_id, $1, $2, $3, $4 FROM next
  RETURNING id`

/*
 * The row lock makes a concurrent second acknowledgement, from any process, wait for the
 * first to commit and then find `ack` set: the first one wins.
 */
const ACKNOWLEDGE = `UPDATE alert_events SET ack = coalesce(ack, $2::json) WHERE id = $1
  RETURNING id, event, ack`

export type PostgresAlertStoreOptions = Pick<PostgresDatabaseOptions, 'poolSize' | 'connectTimeoutMs' | 'onError'>

/**
 * The alert store on PostgreSQL (`DATABASE_URL`), shared by every API and broker process of a
 * deployment: ids increase across restarts and processes, and SSE clients of any API process
 * resume with the same Last-Event-ID.
 *
 * Writes from one store run one at a time in call order (see PostgresDatabase), so a second
 * acknowledgement issued here after the first one lands after it. Appends across processes
 * are serialised by the counter row, one commit at a time: ample for events that change a
 * zone's level, not for a firehose.
 */
export class PostgresAlertStore implements AlertStore {
  readonly url: string
  readonly #db: PostgresDatabase

  private constructor (url: string, db: PostgresDatabase) {
    this.url = url
    this.#db = db
  }

  /** Connects to `url` and creates or updates its tables (component `alerts` in `schema_migrations`). */
  static async open (url: string, options: PostgresAlertStoreOptions = {}): Promise<PostgresAlertStore> {
    const db = await PostgresDatabase.open(url, { ...options, name: 'alert store', component: 'alerts', migrations: MIGRATIONS })
    return new PostgresAlertStore(url, db)
  }

  // The async methods check their arguments, then queue their write before any await, so
  // writes still queue in call order.
  async append (event: NewAlertEvent): Promise<AlertEvent> {
    const checked = checkedEvent(event)
    const { ack, ...rest } = checked.event
    const [row] = await this.#db.write(APPEND, [rest.zoneId, checked.timeMs, JSON.stringify(rest), ack === null ? null : JSON.stringify(ack)])
    // Only a counter row deleted by hand inserts nothing; restarting ids at 1 would be worse.
    if (row === undefined) throw new SensorstadError('STORE_ERR_UNAVAILABLE', 'The alert store has lost its id counter (table alert_ids is empty)')
    return { id: String(row.id), ...rest, ack }
  }

  async list (query: AlertQuery): Promise<AlertEvent[]> {
    const b = alertBounds(query)
    const params: unknown[] = []
    const bind = (value: unknown): string => `$${params.push(value)}`
    const where = [
      ...(b.zoneId === undefined ? [] : [`zone_id = ${bind(b.zoneId)}`]),
      ...(b.afterId === undefined ? [] : [`id > ${bind(b.afterId)}`]),
      // Times are whole ms: a fractional `since` selects what its ceiling does.
      ...(b.since === undefined ? [] : [`time >= ${bind(Math.ceil(b.since))}`])
    ]
    const sql = `SELECT id, event, ack FROM alert_events
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY id ${b.ascending ? 'ASC' : 'DESC'}
      LIMIT ${bind(b.limit)}`
    return (await this.#db.read(sql, params)).map(toEvent)
  }

  async get (id: string): Promise<AlertEvent | undefined> {
    const n = eventNumber(id)
    if (n === undefined) {
      await this.#db.ensureOpen()
      return undefined
    }
    const [row] = await this.#db.read('SELECT id, event, ack FROM alert_events WHERE id = $1', [n])
    return row === undefined ? undefined : toEvent(row)
  }

  async acknowledge (id: string, ack: AlertAck): Promise<AlertEvent | undefined> {
    const checked = checkedAck(ack)
    const n = eventNumber(id)
    if (n === undefined) {
      await this.#db.ensureOpen()
      return undefined
    }
    const [row] = await this.#db.write(ACKNOWLEDGE, [n, JSON.stringify(checked)])
    return row === undefined ? undefined : toEvent(row)
  }

  async deleteBefore (before: number): Promise<number> {
    checkedBefore(before)
    // The counter keeps the highest id issued, so deleting the newest events frees no id.
    const rows = await this.#db.write('WITH gone AS (DELETE FROM alert_events WHERE time < $1 RETURNING 1) SELECT count(*) AS n FROM gone', [Math.ceil(before)])
    return Number(rows[0]?.n ?? 0)
  }

  close (): Promise<void> {
    return this.#db.close()
  }
}

/** The driver parses `json` columns afresh on every read, so answers share nothing stored. */
function toEvent (row: Row): AlertEvent {
  return { id: String(row.id), ...(row.event as Omit<AlertEvent, 'id' | 'ack'>), ack: (row.ack ?? null) as AlertEvent['ack'] }
}
