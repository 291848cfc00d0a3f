/**
 * Builds the day files of open data (`/v1/exports`) for a range of past days, skipping every
 * day already published (files are immutable):
 *
 *   npm run backfill -- --from 2026-11-01 --to 2026-11-29 [--kind wastebin]
 *
 * Opens the register, time series and grid under DATA_DIR as `npm start` does, with the same
 * environment (.env.example). A DuckDB file admits one process at a time, so stop the
 * platform first. Progress goes to stderr (a bar on a terminal, one line per day otherwise);
 * what was done, per status, to stdout. Days that late readings could still change are
 * skipped and reported: run it again later for those.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { Registry as MetricsRegistry } from 'prom-client'
import { exportDays, type DayExportResult } from '../api/exports/export-days.js'
import { loadConfig, type Config } from '../core/config.js'
import { daysBetween, parseDay } from '../core/exports.js'
import { createLogger, openTimeSeriesStore } from '../platform.js'
import { DuckDbRegistryStore } from '../registry/duckdb-registry-store.js'
import { loadKinds } from '../registry/kind-catalog.js'
import { Registry } from '../registry/registry.js'
import { dayExportWriter } from '../store/day-export.js'
import { DuckDbGridStore } from '../store/duckdb-grid-store.js'

const USAGE = `usage: npm run backfill -- --from YYYY-MM-DD --to YYYY-MM-DD [--kind KIND]

Builds the open-data day files (/v1/exports) of every day from --from to --to (UTC), for
every kind or only --kind, skipping days already published. Stop the platform first: it
opens the files under DATA_DIR itself.`
/** Ten years of days; a typo in a year should not start a job of centuries. */
const MAX_DAYS = 3_660
const BAR_WIDTH = 24

interface Args { from: string, to: string, kind: string | undefined }

function usage (message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(64) // EX_USAGE
}

function parse (argv: string[]): Args {
  let values
  try {
    values = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' }, kind: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    usage((err as Error).message)
  }
  const { from, to, kind, help } = values
  if (help === true) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  if (from === undefined || to === undefined) usage('--from and --to are required')
  for (const [name, day] of [['--from', from], ['--to', to]] as const) {
    if (parseDay(day) === undefined) usage(`${name} ${day} is not a day (YYYY-MM-DD)`)
  }
  if (from > to) usage(`--from ${from} is after --to ${to}`)
  return { from, to, kind }
}

/** `[#####-------]  3/29 days  wastebin 2026-11-03 written  ETA 0:42` */
function progressLine (result: DayExportResult, done: number, total: number, startedMs: number): string {
  const filled = Math.round((done / total) * BAR_WIDTH)
  const elapsed = Date.now() - startedMs
  const eta = done === total ? 'done' : `ETA ${clock((elapsed / done) * (total - done))}`
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} days  ${result.kind} ${result.day} ${result.status}  ${eta}`
}

function clock (ms: number): string {
  const s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600)
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, '0')}`
  return h > 0 ? `${h}:${mmss.padStart(5, '0')}` : mmss
}

async function main (): Promise<void> {
  const args = parse(process.argv.slice(2))
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(78) // EX_CONFIG
  }
  const kinds = loadKinds()
  if (args.kind !== undefined && !kinds.has(args.kind)) usage(`--kind ${args.kind} is not one of ${[...kinds.keys()].join(', ')}`)
  const days = daysBetween(args.from, args.to)
  if (days.length > MAX_DAYS) usage(`${days.length} days; at most ${MAX_DAYS} per run`)
  const chosen = [...kinds.values()].filter((k) => args.kind === undefined || k.id === args.kind)
  const items = days.flatMap((day) => chosen.map((kind) => ({ kind, day })))

  // Logs go to stderr with the progress: stdout is the summary a script may read.
  const logger = createLogger(config, pino.destination(2))
  const closers: Array<() => Promise<void>> = []
  try {
    const registryStore = await DuckDbRegistryStore.open(join(config.DATA_DIR, 'registry.duckdb'))
    closers.push(() => registryStore.close())
    const registry = await Registry.open(registryStore, kinds)
    const store = await openTimeSeriesStore(config, kinds, new MetricsRegistry(), logger)
    closers.push(() => store.close())
    const grid = await DuckDbGridStore.open(join(config.DATA_DIR, 'grid.duckdb'))
    closers.push(() => grid.close())

    const tty = process.stderr.isTTY
    const started = Date.now()
    const results = await exportDays({ registry, store, grid, ...dayExportWriter(join(config.DATA_DIR, 'exports')) }, items, Date.now(), (result, done, total) => {
      const line = progressLine(result, done, total, started)
      // A terminal gets one bar redrawn in place; a log file or pipe one line per day.
      process.stderr.write(tty ? `\r${line}\x1b[K${done === total ? '\n' : ''}` : `${line}\n`)
    })
    const count = (status: DayExportResult['status']): number => results.filter((r) => r.status === status).length
    process.stdout.write(`backfill ${args.from}..${args.to}${args.kind !== undefined ? ` ${args.kind}` : ''}: ${count('written')} written, ${count('exists')} already published, ${count('not-final')} not final yet, ${count('not-public')} not published per day\n`)
  } catch (err) {
    const lock = /lock/i.test((err as Error).message) ? ' Is the platform running on this DATA_DIR? Stop it first: a DuckDB file admits one process.' : ''
    process.stderr.write(`backfill failed: ${(err as Error).message}.${lock}\n`)
    process.exitCode = 1
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {})
  }
}

await main()
