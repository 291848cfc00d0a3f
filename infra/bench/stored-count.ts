import { DuckDBInstance } from '@duckdb/node-api'

/**
 * What the platform stored, counted after it stopped: raw reading rows per kind, and how many
 * distinct (sensor, field, time) keys they hold. Every acknowledged reading must be a row.
 */
export interface StoredCount {
  byKind: Record<string, number>
  keys: number
}

/** The embedded store's file (`${DATA_DIR}/timeseries.duckdb`), opened read-only. */
export async function countDuckDb (path: string): Promise<StoredCount> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  const conn = await instance.connect()
  try {
    const rows = (await conn.runAndReadAll('SELECT kind, count(*) AS n FROM readings GROUP BY kind')).getRowObjects()
    const keys = (await conn.runAndReadAll('SELECT count(*) AS n FROM (SELECT DISTINCT sensor_id, field, time FROM readings)')).getRowObjects()
    return {
      byKind: Object.fromEntries(rows.map((r) => [String(r.kind), Number(r.n)])),
      keys: Number(keys[0]?.n ?? 0)
    }
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

/**
 * InfluxDB keeps one point per (series, time), so its count is the number of distinct keys
 * (store/influx-time-series-store.ts: raw readings in retention policy `raw_<kind>`,
 * measurement `<kind>`).
 */
export async function countInflux (url: string, db: string, kinds: readonly string[]): Promise<StoredCount> {
  const byKind: Record<string, number> = {}
  for (const kind of kinds) {
    const q = `SELECT count("value") FROM "raw_${kind}"."${kind}"`
    const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent(q)}`)
    if (!res.ok) throw new Error(`influx count ${kind}: HTTP ${res.status} ${await res.text()}`)
    const body = await res.json() as { results?: Array<{ series?: Array<{ values?: unknown[][] }>, error?: string }> }
    const result = body.results?.[0]
    if (result?.error !== undefined) throw new Error(`influx count ${kind}: ${result.error}`)
    byKind[kind] = Number(result?.series?.[0]?.values?.[0]?.[1] ?? 0)
  }
  return { byKind, keys: Object.values(byKind).reduce((a, b) => a + b, 0) }
}
