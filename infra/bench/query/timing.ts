/**
 * Repeated timing of one query: a warm-up run (caches, prepared plans, JIT) not counted,
 * then runs until `maxRuns` or `maxMs` (at least `minRuns`), so a slow query costs a bounded
 * time and a fast one gets enough runs for a p95. The machine is shared: medians, not means.
 */
export interface Timing {
  runs: number
  medianMs: number
  p95Ms: number
  minMs: number
  maxMs: number
  /** Rows the query answered (the same on every run, or the bench throws). */
  rows: number
}

export interface TimingBudget {
  warmup: number
  minRuns: number
  maxRuns: number
  maxMs: number
}

export const DEFAULT_BUDGET: TimingBudget = { warmup: 1, minRuns: 5, maxRuns: 40, maxMs: 5_000 }

export async function timeQuery (name: string, run: () => Promise<number>, budget: TimingBudget = DEFAULT_BUDGET): Promise<Timing> {
  let rows = -1
  const check = (n: number): void => {
    if (rows !== -1 && n !== rows) throw new Error(`${name}: answered ${n} rows, earlier ${rows}`)
    rows = n
  }
  for (let i = 0; i < budget.warmup; i++) check(await run())
  const times: number[] = []
  const started = performance.now()
  while (times.length < budget.maxRuns && (times.length < budget.minRuns || performance.now() - started < budget.maxMs)) {
    const t = performance.now()
    check(await run())
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return { runs: times.length, medianMs: percentile(times, 0.5), p95Ms: percentile(times, 0.95), minMs: times[0]!, maxMs: times.at(-1)!, rows }
}

/** Nearest-rank percentile of sorted values. */
export function percentile (sorted: readonly number[], p: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!)
}

export function round (ms: number): number {
  return Math.round(ms * 100) / 100
}
