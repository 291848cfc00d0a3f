import type { Row, StoredCheck, Verdict } from './report.js'

/**
 * The bench's printed table: one line per scenario and target, then the verdicts. Numbers
 * are rounded for reading; the JSON file has them whole.
 */
interface Column {
  head: string
  cell: (r: Row) => string
}

const n = (x: number | undefined, digits = 0): string => x === undefined || !Number.isFinite(x) ? '-' : x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })

const COLUMNS: Column[] = [
  { head: 'scenario', cell: (r) => r.scenario },
  { head: 'target', cell: (r) => r.target },
  { head: 'conns', cell: (r) => n(r.connections) },
  { head: 'offered/s', cell: (r) => n(r.offeredRate) },
  { head: 'msg/s', cell: (r) => n(r.messagesPerS) },
  { head: 'readings/s', cell: (r) => n(r.readingsPerS) },
  { head: 'p50 ms', cell: (r) => n(r.p50Ms, 1) },
  { head: 'p99 ms', cell: (r) => n(r.p99Ms, 1) },
  { head: 'CPU us/rdg', cell: (r) => n(r.cpuUsPerReading, 1) },
  { head: 'cores', cell: (r) => n(r.brokerCores, 2) },
  { head: 'RSS MB', cell: (r) => n(r.rssMB) },
  { head: 'peak MB', cell: (r) => n(r.peakMB) },
  { head: 'KB/conn', cell: (r) => n(r.kbPerConnection, 1) },
  { head: 'x aedes', cell: (r) => n(r.vsAedes, 2) },
  { head: 'CPU x', cell: (r) => n(r.cpuVsAedes, 1) },
  { head: 'rejected', cell: (r) => r.rejected === undefined ? '-' : n(r.rejected) },
  { head: 'noise', cell: (r) => n(r.otherCores, 2) }
]

export function formatTable (rows: readonly Row[]): string {
  const mark = (r: Row): string => r.crashed ? ' CRASHED' : r.uncleanExit !== undefined ? ' *' : ''
  const cells = rows.map((r) => COLUMNS.map((c) => c.cell(r) + (c.head === 'target' ? mark(r) : '')))
  const widths = COLUMNS.map((c, i) => Math.max(c.head.length, ...cells.map((row) => row[i]!.length)))
  const line = (values: string[]): string => values.map((v, i) => i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)).join('  ').trimEnd()
  return [line(COLUMNS.map((c) => c.head)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}

export function formatVerdicts (verdicts: readonly Verdict[]): string {
  const width = Math.max(...verdicts.map((v) => v.target.length))
  return verdicts.map((v) => `${v.pass === undefined ? '  -   ' : v.pass ? ' pass ' : ' MISS '} ${v.target.padEnd(width)}  ${v.value}`).join('\n')
}

export function formatStoredChecks (checks: readonly StoredCheck[]): string[] {
  return checks.map((c) => `${c.missing === 0 ? ' pass ' : ' MISS '} ${c.target} (${c.scenarios.join(', ')}): ` +
    `${n(c.expected)} readings acknowledged, ${n(c.stored)} stored${c.missing > 0 ? `, ${n(c.missing)} MISSING` : ''}${c.crashed ? ', the platform CRASHED' : ''}`)
}

/** Broker processes that did not stop cleanly (marked * in the table). */
export function formatUncleanExits (rows: readonly Row[]): string[] {
  const seen = new Set<string>()
  const lines: string[] = []
  for (const r of rows) {
    if (r.uncleanExit === undefined) continue
    const scenarios = rows.filter((o) => o.target === r.target && o.uncleanExit === r.uncleanExit).map((o) => o.scenario).join(', ')
    const line = `* ${r.target} (${scenarios}) did not stop cleanly: ${r.uncleanExit}`
    if (!seen.has(line)) lines.push(line)
    seen.add(line)
  }
  return lines
}

export const LEGEND = [
  'msg/s, readings/s: acknowledged (QoS 1) or confirmed handled (QoS 0) per second; a wastebin message holds 3 readings,',
  '  a crowd count 1, a snuffelfiets fix 8. offered/s: a paced scenario\'s rate (else full speed). p50/p99: PUBACK latency.',
  '  CPU us/rdg: broker process CPU (all its threads) per reading; cores: broker CPU / wall time. KB/conn: RSS with the',
  '  fleet connected minus before, per connection (from 1,000 connections; it includes the broker\'s own warm-up).',
  '  x aedes: msg/s over bare aedes in the same scenario (about 1 when paced: compare CPU x, CPU per reading over',
  '  aedes\'). noise: cores other processes on this shared machine used meanwhile (it has 2).'
].join('\n')
