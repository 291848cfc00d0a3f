import type { AlertEvent } from '../core/alerts.js'
import type { AlertQuery, AlertStore } from '../core/ports/alert-store.js'
import { alertBounds, checkedAck, checkedBefore, checkedEvent, eventNumber, type AlertAck, type NewAlertEvent } from './alert-query.js'
import { DuckDbDatabase } from '../db/duckdb-database.js'
import { Query, readRows, transaction } from './duckdb-sql.js'

/*
 * Layout. `doc` is the whole event as JSON, what every read returns; `zone_id` and `time`
 * (BIGINT epoch ms) repeat two of its fields so filters and retention need not parse it.
 *
 * `alert_ids` holds one row, the highest id ever issued as of the last retention run. Ids
 * resume above max(id) at open, but retention can delete every event (a quiet month), and a
 * client resuming with Last-Event-ID must never see an id issued twice.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS alert_events (
    id BIGINT PRIMARY KEY, zone_id VARCHAR NOT NULL, time BIGINT NOT NULL, doc VARCHAR NOT NULL)`,
  'CREATE TABLE IF NOT EXISTS alert_ids (last_id BIGINT NOT NULL)',
  'INSERT INTO alert_ids SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM alert_ids)'
]

/**
 * The alert store on DuckDB, in its own file such as `${DATA_DIR}/alerts.duckdb`.
 *
 * Ids: appends run one at a time on the write connection, so the next id is a counter held
 * here and taken in append order; it advances only once the row is stored, so a failed append
 * leaves no gap. Acknowledgement reads and rewrites `doc` on the same connection, so no append
 * or second acknowledgement comes between: the first one wins.
 *
 * Durability: every write is one auto-committed statement or one transaction, and DuckDB
 * fsyncs the WAL before COMMIT returns (see `transaction` in duckdb-sql.ts), so a resolved
 * append or acknowledgement survives a crash.
 */
export class DuckDbAlertStore implements AlertStore {
  readonly path: string
  #db!: DuckDbDatabase
  /** Read from the file at open and at every reopen; only touched inside `#db.write`, which runs one call at a time. */
  #lastId = 0

  private constructor (path: string) {
    this.path = path
  }

  /** Opens (creating if needed) the store at `path`, a file such as `${DATA_DIR}/alerts.duckdb`, or `:memory:`. */
  static async open (path: string): Promise<DuckDbAlertStore> {
    const store = new DuckDbAlertStore(path)
    store.#db = await DuckDbDatabase.open(path, {
      name: 'alert store',
      schema: SCHEMA,
      resume: async (conn) => {
        const [row] = await readRows(conn, `SELECT greatest(
          (SELECT coalesce(max(id), 0) FROM alert_events), (SELECT max(last_id) FROM alert_ids)) AS last_id`)
        store.#lastId = Number(row?.last_id ?? 0)
      }
    })
    return store
  }

  // The async methods check their arguments, then queue their write before any await, so
  // writes still queue in call order.
  async append (event: NewAlertEvent): Promise<AlertEvent> {
    const checked = checkedEvent(event)
    return this.#db.write(async (conn) => {
      const n = this.#lastId + 1
      const stored: AlertEvent = { id: String(n), ...checked.event }
      const q = new Query()
      await conn.run(`INSERT INTO alert_events (id, zone_id, time, doc) VALUES (
        ${q.bigint('id', n)}, ${q.varchar('zone_id', stored.zoneId)}, ${q.bigint('time', checked.timeMs)}, ${q.varchar('doc', JSON.stringify(stored))})`,
      q.params, q.types)
      this.#lastId = n
      return stored
    })
  }

  async list (query: AlertQuery): Promise<AlertEvent[]> {
    const b = alertBounds(query)
    const q = new Query()
    const where = [
      ...(b.zoneId === undefined ? [] : [`zone_id = ${q.varchar('zone_id', b.zoneId)}`]),
      ...(b.afterId === undefined ? [] : [`id > ${q.bigint('after_id', b.afterId)}`]),
      ...(b.since === undefined ? [] : [`time >= ${q.bigint('since', b.since)}`])
    ]
    const sql = `SELECT doc FROM alert_events
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY id ${b.ascending ? 'ASC' : 'DESC'}
      LIMIT ${q.bigint('limit', b.limit)}`
    return this.#db.read(async (conn) => (await readRows(conn, sql, q)).map((row) => toEvent(row.doc)))
  }

  async get (id: string): Promise<AlertEvent | undefined> {
    const n = eventNumber(id)
    if (n === undefined) {
      await this.#db.ensureOpen()
      return undefined
    }
    return this.#db.read(async (conn) => {
      const q = new Query()
      const [row] = await readRows(conn, `SELECT doc FROM alert_events WHERE id = ${q.bigint('id', n)}`, q)
      return row === undefined ? undefined : toEvent(row.doc)
    })
  }

  async acknowledge (id: string, ack: AlertAck): Promise<AlertEvent | undefined> {
    const checked = checkedAck(ack)
    const n = eventNumber(id)
    if (n === undefined) {
      await this.#db.ensureOpen()
      return undefined
    }
    return this.#db.write(async (conn) => {
      const q = new Query()
      const where = `id = ${q.bigint('id', n)}`
      const [row] = await readRows(conn, `SELECT doc FROM alert_events WHERE ${where}`, q)
      if (row === undefined) return undefined
      const event = toEvent(row.doc)
      // The first acknowledgement wins: a second responder must not erase who acted first.
      if (event.ack !== null) return event
      event.ack = checked
      await conn.run(`UPDATE alert_events SET doc = ${q.varchar('doc', JSON.stringify(event))} WHERE ${where}`, q.params, q.types)
      return event
    })
  }

  async deleteBefore (before: number): Promise<number> {
    checkedBefore(before)
    return this.#db.write(async (conn) => {
      const mark = new Query()
      const old = new Query()
      let deleted = 0
      await transaction(conn, null, [
        () => conn.run(`UPDATE alert_ids SET last_id = greatest(last_id, ${mark.bigint('last_id', this.#lastId)})`, mark.params, mark.types),
        async () => {
          deleted = (await conn.run(`DELETE FROM alert_events WHERE time < ${old.bigint('before', before)}`, old.params, old.types)).rowsChanged
        }
      ])
      return deleted
    })
  }

  close (): Promise<void> {
    return this.#db.close()
  }
}

/** A fresh object per read, so a caller's changes to an answer reach nothing stored. */
function toEvent (doc: unknown): AlertEvent {
  return JSON.parse(String(doc)) as AlertEvent
}
