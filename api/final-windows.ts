import type { KindDefinition } from '../core/kind.js'

/**
 * Where the API's aggregate queries stop recomputing windows from raw readings (the port's
 * `finalBefore`): a window of a kind is final once no reading can still land in it, which is
 * the kind's allowed lateness after its end (ingest refuses older readings, ingest/validate.ts),
 * and the rollup job (ingest/rollup.ts) has stored it by then plus this margin.
 *
 * The margin covers the default ROLLUP_CRON, a run every minute at second 5: the first run
 * after a window's lateness has passed starts within 60 s; a slot may be skipped (the job lock
 * did not answer, or the previous run was still going: node-cron's noOverlap) and the next
 * one comes 60 s later; a run over a day of lateness takes seconds; the clocks of the API and
 * jobs processes may differ by a few. Ten minutes holds all of that several times over, and
 * costs only ten more minutes of readings per query. A ROLLUP_CRON sparser than every few
 * minutes needs a larger margin.
 */
export const ROLLUP_MARGIN_MS = 10 * 60_000

export function finalBefore (kind: Pick<KindDefinition, 'allowedLatenessS'>, now: number): number {
  return now - kind.allowedLatenessS * 1000 - ROLLUP_MARGIN_MS
}
