import type { LatLon } from '../../core/geo.js'
import { nearestNeighbourRoute } from './nearest-neighbour-route.js'
import { predictFull, type LevelPoint } from './predict-full.js'

/**
 * The collection list of one moment: which bins to empty and in which order. Pure; the route
 * reads the register and the store and hands everything in.
 */
const HOUR_MS = 3_600_000

export interface BinInput {
  id: string
  name: string
  location: LatLon
  /** `fillingLevel` readings, any order; the latest one is the bin's level. */
  readings: readonly LevelPoint[]
}

export interface CollectionStop {
  id: string
  name: string
  location: LatLon
  fillingLevel: number
  /** Epoch ms of the latest reading. */
  lastReport: number
  /** See `Prediction.fullAt`. */
  fullAt: number | null
  ratePctPerHour: number
  reason: 'full' | 'predicted'
  /** 1 for the first stop after the depot. */
  order: number
  distanceFromPreviousM: number
}

export interface CollectionList {
  bins: CollectionStop[]
  totalDistanceM: number
}

export interface CollectionOptions {
  depot: LatLon
  /** %: at or above it a bin is full. */
  threshold: number
  /** Hours ahead: a bin predicted to be full by then is on the list too. */
  horizonH: number
  now: number
}

export function buildCollectionList (bins: readonly BinInput[], options: CollectionOptions): CollectionList {
  const due = bins.flatMap((bin) => {
    const prediction = predictFull(bin.readings, options.threshold, options.now)
    if (prediction === undefined) return []
    const reason = prediction.level >= options.threshold
      ? 'full' as const
      : prediction.fullAt !== null && prediction.fullAt <= options.now + options.horizonH * HOUR_MS ? 'predicted' as const : undefined
    if (reason === undefined) return []
    const lastReport = bin.readings.reduce((latest, r) => Math.max(latest, r.time), -Infinity)
    return [{ bin, prediction, reason, lastReport }]
  })
  const byId = new Map(due.map((d) => [d.bin.id, d]))
  const route = nearestNeighbourRoute(options.depot, due.map((d) => ({ id: d.bin.id, ...d.bin.location })))
  return {
    bins: route.legs.map((leg, i) => {
      const { bin, prediction, reason, lastReport } = byId.get(leg.id)!
      return {
        id: bin.id,
        name: bin.name,
        location: bin.location,
        fillingLevel: prediction.level,
        lastReport,
        fullAt: prediction.fullAt,
        ratePctPerHour: prediction.rate,
        reason,
        order: i + 1,
        distanceFromPreviousM: leg.legM
      }
    }),
    totalDistanceM: route.totalM
  }
}
