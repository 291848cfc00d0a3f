/**
 * Aggregation windows. Every aggregate is kept per window as merge-able partial sums
 * (count, sum, min, max), so a coarser window is exactly the merge of finer ones and a
 * late reading only has to be added, never recomputed from scratch.
 */
export const WINDOWS = ['1m', '15m', '1h', '1d'] as const
export type Window = typeof WINDOWS[number]

export const WINDOW_MS: Record<Window, number> = {
  '1m': 60_000,
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '1d': 24 * 60 * 60_000
}

/** Start of the window that holds `timeMs` (UTC; days start at 00:00Z). */
export function windowStart (window: Window, timeMs: number): number {
  const size = WINDOW_MS[window]
  return timeMs - (((timeMs % size) + size) % size)
}

/** The finer window each window is rolled up from; `1m` comes from raw readings. */
export const ROLLUP_SOURCE: Record<Window, Window | null> = {
  '1m': null,
  '15m': '1m',
  '1h': '15m',
  '1d': '1h'
}
