import type { BackendResult } from './backends.js'

/**
 * The query targets of issue #8 on the larger store: the median under the query's target,
 * and within RATIO_LIMIT of its median on the smaller store (what grows with history).
 */
export const RATIO_LIMIT = 1.5

export interface TargetCheck {
  store: BackendResult['store']
  query: string
  /** Readings in the smaller and the larger store. */
  readings: [number, number]
  rows: [number, number]
  medianMs: [number, number]
  p95Ms: [number, number]
  /** Median on the larger store over the median on the smaller. */
  ratio: number
  ratioPass: boolean
  targetMs?: number
  targetPass?: boolean
}

export function checkTargets (backend: BackendResult): TargetCheck[] {
  const [small, large] = backend.sizes
  if (small === undefined || large === undefined) return []
  return large.queries.flatMap((q): TargetCheck[] => {
    const s = small.queries.find((x) => x.name === q.name)
    if (s === undefined) return []
    const ratio = Math.round((q.medianMs / s.medianMs) * 100) / 100
    return [{
      store: backend.store,
      query: q.name,
      readings: [small.readings, large.readings],
      rows: [s.rows, q.rows],
      medianMs: [s.medianMs, q.medianMs],
      p95Ms: [s.p95Ms, q.p95Ms],
      ratio,
      ratioPass: ratio <= RATIO_LIMIT,
      ...(q.targetMs === undefined ? {} : { targetMs: q.targetMs, targetPass: q.medianMs < q.targetMs })
    }]
  })
}
