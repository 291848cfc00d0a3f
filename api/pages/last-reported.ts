import type { KindDefinition } from '../../core/kind.js'
import type { Reading } from '../../core/reading.js'

/**
 * What a sensor page may say about when the sensor last reported. A resident wants to know
 * whether a device is alive; nobody should learn from it what the open data withholds.
 *
 * - Mobile kinds: nothing at all. A bicycle sensor reports only while someone rides it, so
 *   its last report is when its rider was last out; even the date alone, checked daily,
 *   draws their routine. The store is not even asked, so the answer cannot leak by timing.
 * - Kinds with a public lag (crowd counts): a report inside the lag is shown only as "within
 *   the last N minutes", so the page cannot run ahead of the lagged public feed.
 * - Other fixed kinds: the time to the minute.
 */
export type LastReported =
  | { state: 'hidden' }
  | { state: 'never' }
  | { state: 'unknown' }
  | { state: 'recent', withinS: number }
  | { state: 'at', time: number }

export function mayShowLastReported (kind: Pick<KindDefinition, 'placement'>): boolean {
  return kind.placement !== 'mobile'
}

export function lastReportedOf (kind: Pick<KindDefinition, 'placement' | 'privacy'>, latest: readonly Reading[], now: number): LastReported {
  if (!mayShowLastReported(kind)) return { state: 'hidden' }
  if (latest.length === 0) return { state: 'never' }
  const time = Math.max(...latest.map((r) => r.time))
  const lagS = kind.privacy.counts?.publicLagS ?? 0
  if (lagS > 0 && time > now - lagS * 1000) return { state: 'recent', withinS: lagS }
  // Minutes are enough to tell alive from dead; seconds would only add a fingerprint.
  return { state: 'at', time: time - (time % 60_000) }
}
