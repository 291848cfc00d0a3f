/**
 * Write throughput of the time-series stores: 200,000 readings (1,000 sensors, one field) in
 * batches of 5,000, the flush size DESIGN.md section 7 measured, into the memory store and
 * into a DuckDB file in a temporary folder (each batch one durable commit). Prints rows/s for
 * each and the DuckDB/memory ratio. Run: `npx tsx infra/bench/store-write.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import type { Reading } from '../../core/reading.js'
import { DuckDbTimeSeriesStore } from '../../store/duckdb-time-series-store.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'

const TOTAL = 200_000
const BATCH = 5_000
const SENSORS = 1_000
/** A store slower than this is stopped early; its rate is over what it wrote. */
const TIME_BUDGET_MS = 60_000
const T0 = Date.UTC(2024, 0, 1)

function batch (index: number): Reading[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = index * BATCH + i
    // One reading per sensor per second: times rise with n, keys never repeat.
    return { sensorId: `sensor-${n % SENSORS}`, kind: 'air', field: 'pm25', time: T0 + Math.floor(n / SENSORS) * 1000, value: n % 97 }
  })
}

async function measure (store: TimeSeriesStore): Promise<{ rows: number, seconds: number }> {
  const batches = Array.from({ length: TOTAL / BATCH }, (_, i) => batch(i))
  let rows = 0
  const start = process.hrtime.bigint()
  const elapsedMs = (): number => Number(process.hrtime.bigint() - start) / 1e6
  for (const readings of batches) {
    await store.writeReadings(readings)
    rows += readings.length
    if (elapsedMs() > TIME_BUDGET_MS) break
  }
  return { rows, seconds: elapsedMs() / 1000 }
}

const USAGE = `usage: npm run bench:store\nWrites ${TOTAL.toLocaleString('en')} readings in batches of ${BATCH.toLocaleString('en')} into the memory store and a DuckDB file, and prints rows/s and their ratio.\n`
const args = process.argv.slice(2)
if (args.length > 0 && args.every((a) => a === '--help' || a === '-h')) {
  process.stdout.write(USAGE)
  process.exit(0)
}
if (args.length > 0) {
  process.stderr.write(`unknown arguments: ${args.join(' ')}\n${USAGE}`)
  process.exit(2)
}

const dir = await mkdtemp(join(tmpdir(), 'sensorstad-bench-'))
try {
  const memory = new MemoryTimeSeriesStore()
  const mem = await measure(memory)
  await memory.close()

  const duckdb = await DuckDbTimeSeriesStore.open(join(dir, 'timeseries.duckdb'))
  const duck = await measure(duckdb)
  const check = await duckdb.readings({ from: T0, to: T0 + 1000 * TOTAL, limit: TOTAL })
  await duckdb.close()

  const rate = (r: { rows: number, seconds: number }): number => Math.round(r.rows / r.seconds)
  console.log(`memory: ${mem.rows} rows in ${mem.seconds.toFixed(2)} s, ${rate(mem).toLocaleString('en')} rows/s`)
  console.log(`duckdb: ${duck.rows} rows in ${duck.seconds.toFixed(2)} s, ${rate(duck).toLocaleString('en')} rows/s (read back ${check.length})`)
  console.log(`duckdb/memory: ${(rate(duck) / rate(mem)).toFixed(3)}`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
