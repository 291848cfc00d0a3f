import { escape, InfluxDB, type IPoint } from 'influx'
import { SensorstadError } from '../core/errors.js'
import { firstOpenWindow, type AggregateQuery, type RangeQuery, type SeriesFilter, type TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Aggregate, Reading } from '../core/reading.js'
import type { Window } from '../core/windows.js'
import { decodeTag, encodeTag, influxError } from './influx-support.js'
import { DEFAULT_LIMIT, readingRangeOfWindows } from './query-range.js'

/**
 * The time-series port on InfluxDB, through its v1 HTTP API (`/write` line protocol,
 * `/query` InfluxQL, `/ping`), which 1.x serves natively and 2.x and 3.x for compatibility
 * (DESIGN.md section 9). Client: node-influx, which escapes the line protocol; every value in
 * a query is a bound parameter (`params`), never spliced into the text.
 *
 * Schema:
 * - raw readings: retention policy `raw_<kind>` (duration = the kind's retention; `raw`,
 *   infinite, for a kind without one), measurement `<kind>`, tags `sensor` and `field`,
 *   field `value`. InfluxDB keeps one point per (series, time), the later write winning:
 *   exactly the port's idempotency on (sensor, field, time).
 * - aggregates: retention policy `aggregates` (infinite), measurement `<kind>_aggregates`,
 *   tags `sensor`, `field`, `window`, fields `count`, `sum`, `min`, `max`, time = window start.
 * - latest: measurement `latest` in `aggregates`, tags `kind`, `sensor`, `field`, fields
 *   `value` and `time_ms`, one point per series at time 0, written only when newer; the
 *   newest time per series is cached in memory (each process ingests its own sensors).
 * Tags hold only bounded sets: kind, sensor, field, window.
 */
export interface InfluxStoreOptions {
  url: string
  database: string
  /** INFLUX_TOKEN (2.x and 3.x take it as the v1 password) or a 1.x user. */
  token?: string | undefined
  username?: string | undefined
  password?: string | undefined
  /** Raw retention per kind, days; kinds not named keep raw readings forever (policy `raw`). */
  retentionDays?: ReadonlyMap<string, number>
  /** Creates the database and retention policies when the server allows it (1.x). */
  setup?: boolean
  /** Lines the server refused in a partial write (stored lines stay stored). */
  onRejected?: (count: number, reason: string) => void
  requestTimeoutMs?: number
}

const AGG_RP = 'aggregates'
const RAW_RP = 'raw'
const LATEST = 'latest'
/**
 * The one timestamp of every `latest` point (1 ms after the epoch): node-influx drops a
 * timestamp of 0 as falsy, and the server would then stamp the point with its own clock.
 */
const LATEST_TIME = 1

export class InfluxTimeSeriesStore implements TimeSeriesStore {
  readonly #influx: InfluxDB
  readonly #options: InfluxStoreOptions
  /** Newest time per `kind\0sensor\0field` in the `latest` measurement. */
  readonly #latest = new Map<string, number>()
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  private constructor (influx: InfluxDB, options: InfluxStoreOptions) {
    this.#influx = influx
    this.#options = options
  }

  static async open (options: InfluxStoreOptions): Promise<InfluxTimeSeriesStore> {
    const url = new URL(options.url)
    const influx = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 8086)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      path: url.pathname === '/' ? '' : url.pathname,
      database: options.database,
      username: options.token !== undefined ? 'sensorstad' : (options.username ?? ''),
      password: options.token ?? options.password ?? '',
      // No retries inside the client: ingest retries with backoff and withholds PUBACKs meanwhile.
      pool: { maxRetries: 0, requestTimeout: options.requestTimeoutMs ?? 10_000 }
    })
    const store = new InfluxTimeSeriesStore(influx, options)
    if (options.setup !== false) await store.#setup()
    await store.#loadLatest()
    return store
  }

  writeReadings (readings: readonly Reading[]): Promise<void> {
    if (this.#closed) return closed()
    if (readings.length === 0) return Promise.resolve()
    return this.#serial(async () => {
      const byRp = new Map<string, IPoint[]>()
      const newest = new Map<string, Reading>()
      for (const r of readings) {
        const rp = this.#rawRp(r.kind)
        const points = byRp.get(rp) ?? []
        points.push({ measurement: lineMeasurement(r.kind), tags: { sensor: encodeTag(r.sensorId), field: encodeTag(r.field) }, fields: { value: r.value }, timestamp: r.time })
        byRp.set(rp, points)
        const key = latestKey(r.kind, r.sensorId, r.field)
        const seen = newest.get(key)
        if ((seen === undefined || r.time >= seen.time) && r.time >= (this.#latest.get(key) ?? -Infinity)) newest.set(key, r)
      }
      for (const [rp, points] of byRp) await this.#write(points, rp)
      if (newest.size > 0) {
        await this.#write([...newest.values()].map((r) => ({
          measurement: LATEST,
          tags: { kind: encodeTag(r.kind), sensor: encodeTag(r.sensorId), field: encodeTag(r.field) },
          fields: { value: r.value, time_ms: r.time },
          timestamp: LATEST_TIME
        })), AGG_RP)
        for (const [key, r] of newest) this.#latest.set(key, r.time)
      }
    })
  }

  writeAggregates (aggregates: readonly Aggregate[]): Promise<void> {
    if (this.#closed) return closed()
    if (aggregates.length === 0) return Promise.resolve()
    return this.#serial(() => this.#write(aggregates.map((a) => ({
      measurement: lineMeasurement(`${a.kind}_aggregates`),
      tags: { sensor: encodeTag(a.sensorId), field: encodeTag(a.field), window: a.window },
      fields: { count: a.count, sum: a.sum, min: a.min, max: a.max },
      timestamp: a.start
    })), AGG_RP))
  }

  async readings (query: RangeQuery): Promise<Reading[]> {
    const q = new InfluxQuery()
    const where = [q.timeRange(query.from, query.to), ...q.series(query)]
    const rows = await this.#query(`SELECT "value" FROM ${this.#rawSources(query.kind)} WHERE ${where.join(' AND ')} GROUP BY "sensor", "field"`, q)
    const readings = rows.map((row) => ({ sensorId: row.sensor, kind: row.kind, field: row.field, time: Number(row.time), value: Number(row.value) }))
    readings.sort((a, b) => cmp(a.sensorId, b.sensorId) || cmp(a.field, b.field) || a.time - b.time)
    return readings.slice(0, query.limit ?? DEFAULT_LIMIT)
  }

  async aggregates (query: AggregateQuery): Promise<Aggregate[]> {
    const source = query.source ?? 'auto'
    const computedFrom = Math.max(query.from, firstOpenWindow(query))
    const [stored, computed] = await Promise.all([
      source === 'readings' ? [] : this.#storedAggregates(query),
      source === 'stored' || computedFrom >= query.to ? [] : this.#computedAggregates({ ...query, from: computedFrom })
    ])
    const byKey = new Map<string, Aggregate>()
    for (const a of computed) byKey.set(aggKey(a), a)
    for (const a of stored) byKey.set(aggKey(a), a)
    const all = [...byKey.values()]
    all.sort((a, b) => cmp(a.sensorId, b.sensorId) || cmp(a.field, b.field) || a.start - b.start)
    return all.slice(0, query.limit ?? DEFAULT_LIMIT)
  }

  async latest (filter: SeriesFilter): Promise<Reading[]> {
    const q = new InfluxQuery()
    const where = [...q.series(filter), ...(filter.kind === undefined ? [] : [`"kind" = ${q.bind(encodeTag(filter.kind))}`])]
    const rows = await this.#query(`SELECT "value", "time_ms" FROM "${AGG_RP}"."${LATEST}"${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY "kind", "sensor", "field"`, q)
    const readings = rows.map((row) => ({ sensorId: row.sensor, kind: decodeTag(String(row.tags.kind)), field: row.field, time: Number(row.time_ms), value: Number(row.value) }))
    return readings.sort((a, b) => cmp(a.sensorId, b.sensorId) || cmp(a.field, b.field))
  }

  deleteReadingsBefore (kind: string, before: number, sensorIds?: readonly string[]): Promise<number> {
    if (this.#closed) return closed()
    if (sensorIds?.length === 0) return Promise.resolve(0)
    return this.#serial(async () => {
      const q = new InfluxQuery()
      const where = [`time < ${q.bind(iso(before))}`, ...q.series({ sensorIds })].join(' AND ')
      const counted = await this.#query(`SELECT count("value") FROM ${this.#rawSources(kind)} WHERE ${where}`, q)
      const deleted = counted.reduce((n, row) => n + Number(row.count), 0)
      if (deleted > 0) await this.#query(`DELETE FROM ${quoteIdent(encodeTag(kind))} WHERE ${where}`, q)
      return deleted
    })
  }

  async ping (): Promise<void> {
    if (this.#closed) return closed()
    const [host] = await this.#influx.ping(this.#options.requestTimeoutMs ?? 5_000)
    if (host === undefined || !host.online) throw new SensorstadError('STORE_ERR_UNAVAILABLE', `InfluxDB at ${this.#options.url} does not answer /ping`)
  }

  async close (): Promise<void> {
    this.#closed = true
    await this.#queue.catch(() => {})
  }

  async #setup (): Promise<void> {
    const db = this.#options.database
    try {
      await this.#influx.createDatabase(db)
      const existing = new Map((await this.#influx.showRetentionPolicies(db)).map((rp) => [rp.name, rp.duration]))
      const wanted: Array<[string, string]> = [[RAW_RP, 'INF'], [AGG_RP, 'INF'], ...[...(this.#options.retentionDays ?? [])].map(([kind, days]): [string, string] => [`raw_${kind}`, `${days}d`])]
      for (const [name, duration] of wanted) {
        const options = { database: db, duration, replication: 1 }
        if (!existing.has(name)) await this.#influx.createRetentionPolicy(name, options)
        else await this.#influx.alterRetentionPolicy(name, options)
      }
    } catch (err) {
      throw influxError(err, `Could not create database ${db} and its retention policies; on InfluxDB 2.x or 3.x create them yourself (README, "Running with InfluxDB") and set INFLUX_SETUP=false`)
    }
  }

  async #loadLatest (): Promise<void> {
    for (const r of await this.latest({})) this.#latest.set(latestKey(r.kind, r.sensorId, r.field), r.time)
  }

  #rawRp (kind: string): string {
    return this.#options.retentionDays?.has(kind) === true ? `raw_${kind}` : RAW_RP
  }

  #rawSources (kind: string | undefined): string {
    if (kind !== undefined) return `"${this.#rawRp(kind)}".${quoteIdent(encodeTag(kind))}`
    // Every raw retention policy; each holds only kind measurements.
    const rps = [RAW_RP, ...[...(this.#options.retentionDays?.keys() ?? [])].map((k) => `raw_${k}`)]
    return rps.map((rp) => `"${rp}"./.*/`).join(', ')
  }

  async #storedAggregates (query: AggregateQuery): Promise<Aggregate[]> {
    const q = new InfluxQuery()
    const where = [q.timeRange(query.from, query.to), `"window" = ${q.bind(query.window)}`, ...q.series(query)]
    const from = query.kind === undefined ? `"${AGG_RP}"./_aggregates$/` : `"${AGG_RP}".${quoteIdent(encodeTag(`${query.kind}_aggregates`))}`
    const rows = await this.#query(`SELECT "count", "sum", "min", "max" FROM ${from} WHERE ${where.join(' AND ')} GROUP BY "sensor", "field"`, q)
    return rows.map((row) => toAggregate(row, row.kind.replace(/_aggregates$/, ''), query.window))
  }

  async #computedAggregates (query: AggregateQuery): Promise<Aggregate[]> {
    const range = readingRangeOfWindows(query.window, query.from, query.to)
    if (range.to <= range.from) return []
    const q = new InfluxQuery()
    const where = [q.timeRange(range.from, range.to), ...q.series(query)]
    const rows = await this.#query(`SELECT count("value") AS "count", sum("value") AS "sum", min("value") AS "min", max("value") AS "max" FROM ${this.#rawSources(query.kind)} WHERE ${where.join(' AND ')} GROUP BY time(${query.window}), "sensor", "field" fill(none)`, q)
    return rows.map((row) => toAggregate(row, row.kind, query.window))
  }

  async #write (points: IPoint[], retentionPolicy: string): Promise<void> {
    try {
      await this.#influx.writePoints(points, { precision: 'ms', retentionPolicy })
    } catch (err) {
      const status = (err as { res?: { statusCode?: number } }).res?.statusCode
      const message = err instanceof Error ? err.message : String(err)
      // InfluxDB 1.x answers 400 "partial write: ... dropped=N" after storing every good line.
      const partial = /partial write: (.*) dropped=(\d+)/.exec(message)
      if (status === 400 && partial !== null) {
        this.#options.onRejected?.(Number(partial[2]), partial[1]!)
        return
      }
      throw influxError(err, 'InfluxDB write failed')
    }
  }

  async #query (text: string, q: InfluxQuery): Promise<Row[]> {
    if (this.#closed) return closed()
    let response: { results?: Array<{ error?: string, series?: Series[] }> }
    try {
      response = await this.#influx.queryRaw(text, { precision: 'ms', placeholders: q.params, method: 'POST' })
    } catch (err) {
      throw influxError(err, 'InfluxDB query failed')
    }
    const rows: Row[] = []
    for (const result of response.results ?? []) {
      if (result.error !== undefined) throw new SensorstadError('STORE_ERR_REJECTED', `InfluxDB refused a query: ${result.error}`)
      for (const series of result.series ?? []) {
        const tags = series.tags ?? {}
        for (const values of series.values) {
          const row: Row = { kind: decodeTag(series.name), sensor: decodeTag(tags.sensor ?? ''), field: decodeTag(tags.field ?? ''), tags }
          series.columns.forEach((column, i) => { row[column] = values[i] })
          rows.push(row)
        }
      }
    }
    return rows
  }

  /** Writes and deletes one at a time, in order, so the latest cache matches what is stored. */
  #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn)
    this.#queue = run.catch(() => {})
    return run
  }
}

interface Series { name: string, tags?: Record<string, string>, columns: string[], values: unknown[][] }
type Row = Record<string, unknown> & { kind: string, sensor: string, field: string, tags: Record<string, string> }

/** InfluxQL text with bound parameters: values are sent as `params`, never spliced in. */
class InfluxQuery {
  readonly params: Record<string, string | number> = {}
  #n = 0

  bind (value: string | number): string {
    const name = `p${this.#n++}`
    this.params[name] = value
    return `$${name}`
  }

  timeRange (from: number, to: number): string {
    return `time >= ${this.bind(iso(from))} AND time < ${this.bind(iso(to))}`
  }

  series (filter: Pick<SeriesFilter, 'sensorIds' | 'field'>): string[] {
    const parts: string[] = []
    if (filter.sensorIds !== undefined) {
      parts.push(filter.sensorIds.length === 0 ? 'false' : `(${filter.sensorIds.map((id) => `"sensor" = ${this.bind(encodeTag(id))}`).join(' OR ')})`)
    }
    if (filter.field !== undefined) parts.push(`"field" = ${this.bind(encodeTag(filter.field))}`)
    return parts
  }
}

function toAggregate (row: Row, kind: string, window: Window): Aggregate {
  return { sensorId: row.sensor, kind, field: row.field, window, start: Number(row.time), count: Number(row.count), sum: Number(row.sum), min: Number(row.min), max: Number(row.max) }
}

/**
 * A measurement name on the line protocol. node-influx writes it as given, unescaped, so it
 * is escaped here (comma and space, after the same encoding as tag values).
 */
function lineMeasurement (name: string): string {
  return escape.measurement(encodeTag(name))
}

/** An InfluxQL double-quoted identifier (a measurement from the kind id, encoded). */
function quoteIdent (name: string): string {
  return `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function iso (ms: number): string {
  return new Date(Math.ceil(ms)).toISOString()
}

function latestKey (kind: string, sensor: string, field: string): string {
  return `${kind}\u0000${sensor}\u0000${field}`
}

function aggKey (a: Aggregate): string {
  return `${a.sensorId}\u0000${a.field}\u0000${a.start}`
}

/** Code-point (UTF-8 byte) order, as the other stores sort; `<` would compare UTF-16 units. */
function cmp (a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b))
}

function closed (): Promise<never> {
  return Promise.reject(new SensorstadError('STORE_ERR_UNAVAILABLE', 'The InfluxDB store is closed'))
}
