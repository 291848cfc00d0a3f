import { z } from 'zod'
import { WINDOWS } from './windows.js'

/**
 * One value of one field of one sensor at one time: the unit the whole pipeline moves,
 * from decoder to store. Times are epoch milliseconds (UTC). Writes are idempotent on
 * (sensorId, field, time).
 */
export const readingSchema = z.object({
  sensorId: z.string(),
  kind: z.string(),
  field: z.string(),
  time: z.number().int(),
  value: z.number()
})
export type Reading = z.infer<typeof readingSchema>

/** Merge-able partial aggregate of one field of one sensor over one window. */
export const aggregateSchema = z.object({
  sensorId: z.string(),
  kind: z.string(),
  field: z.string(),
  window: z.enum(WINDOWS),
  start: z.number().int(),
  count: z.number().int().nonnegative(),
  sum: z.number(),
  min: z.number(),
  max: z.number()
})
export type Aggregate = z.infer<typeof aggregateSchema>

export const AGGREGATE_FNS = ['mean', 'min', 'max', 'sum', 'count'] as const
export type AggregateFn = typeof AGGREGATE_FNS[number]

export function applyFn (agg: Pick<Aggregate, 'count' | 'sum' | 'min' | 'max'>, fn: AggregateFn): number {
  switch (fn) {
    case 'mean': return agg.count === 0 ? Number.NaN : agg.sum / agg.count
    case 'min': return agg.min
    case 'max': return agg.max
    case 'sum': return agg.sum
    case 'count': return agg.count
  }
}

/** Adds partial `b` into a copy of `a` (same key). Exact for count/sum/min/max. */
export function mergeAggregates (a: Aggregate, b: Pick<Aggregate, 'count' | 'sum' | 'min' | 'max'>): Aggregate {
  return {
    ...a,
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max)
  }
}
