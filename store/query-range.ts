import { WINDOW_MS, windowStart, type Window } from '../core/windows.js'

/** Rows a query returns when it names no `limit` (the port's documented default). */
export const DEFAULT_LIMIT = 10_000

/**
 * The raw-reading time range `[from, to)` (epoch ms) that holds exactly the windows whose
 * start lies in `[from, to)`. Stored aggregates are selected by start, so computed ones must
 * be too: a window is either wholly in the answer or not at all, never cut at `from` or `to`.
 */
export function readingRangeOfWindows (window: Window, from: number, to: number): { from: number, to: number } {
  return { from: ceilToWindow(window, from), to: ceilToWindow(window, to) }
}

function ceilToWindow (window: Window, timeMs: number): number {
  const start = windowStart(window, Math.ceil(timeMs))
  return start === Math.ceil(timeMs) ? start : start + WINDOW_MS[window]
}
