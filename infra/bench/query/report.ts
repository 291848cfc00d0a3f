import type { QueryBenchResult } from './run-query-bench.js'
import { RATIO_LIMIT } from './targets.js'

/** The printed report: load rates per store, then one line per query with the verdicts. */
const n = (x: number, digits = 0): string => x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const count = (x: number): string => x >= 1e6 ? `${n(x / 1e6, x % 1e6 === 0 ? 0 : 1)}M` : `${n(x / 1e3)}k`

export function formatQueryReport (result: QueryBenchResult): string {
  const out: string[] = [
    `Query benchmark (issue #8, item 3)${result.quick ? ', quick' : ''}, ${result.startedAt}, ${result.seconds} s, ${result.machine.cpus} cores, load average before ${result.machine.loadavgBefore.map((l) => l.toFixed(1)).join(' ')}, after ${result.machine.loadavgAfter.map((l) => l.toFixed(1)).join(' ')}`
  ]
  for (const backend of result.backends) {
    out.push('', `${backend.store}: ${backend.fleet}`)
    for (const size of backend.sizes) {
      const l = size.load
      out.push(`  ${count(size.readings)} readings (${n(size.historyDays, 1)} days) + ${n(l.aggregates)} aggregates loaded in ${n(l.seconds)} s: ${n(l.readingsPerS)} readings/s, ${n(l.aggregatesPerS)} aggregates/s through the port; close ${n(size.closeSeconds, 1)} s` +
        (size.diskBytes === undefined ? '' : `, ${n(size.diskBytes / 2 ** 20)} MiB on disk`) +
        (size.rejectedPoints === undefined ? '' : `, ${n(size.rejectedPoints)} points refused by retention`))
    }
    const checks = result.targets.filter((t) => t.store === backend.store)
    const rows = checks.map((t) => [
      t.query,
      t.rows[0] === t.rows[1] ? n(t.rows[1]) : `${n(t.rows[0])}/${n(t.rows[1])}`,
      `${n(t.medianMs[0], 1)} / ${n(t.p95Ms[0], 1)}`,
      `${n(t.medianMs[1], 1)} / ${n(t.p95Ms[1], 1)}`,
      `${n(t.ratio, 2)} ${t.ratioPass ? 'pass' : 'MISS'}`,
      t.targetMs === undefined ? '-' : `< ${n(t.targetMs)} ms ${t.targetPass === true ? 'pass' : 'MISS'}`
    ])
    const [small, large] = checks[0]?.readings ?? [0, 0]
    const head = ['query', 'rows', `${count(small)} med/p95 ms`, `${count(large)} med/p95 ms`, `ratio (<= ${RATIO_LIMIT})`, `target (${count(large)})`]
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (cells: string[]): string => '  ' + cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ')
    out.push('', line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line))
  }
  if (result.notes.length > 0) out.push('', ...result.notes)
  return out.join('\n')
}
