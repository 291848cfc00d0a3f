import { haversineM, type LatLon } from '../../core/geo.js'

/**
 * A collection round by the nearest-neighbour heuristic: from the depot, always drive to the
 * closest bin not yet visited (straight-line distance). Not optimal (typically 15 to 25 %
 * longer than the best tour), but stable, explainable to a driver and O(n^2), which is
 * nothing for the few hundred bins of one round.
 */
export interface Stop extends LatLon { id: string }

export interface RouteLeg {
  id: string
  /** From the depot or the previous stop, metres. */
  legM: number
  /** From the depot to this stop along the round, metres. */
  cumulativeM: number
}

export interface Route {
  legs: RouteLeg[]
  /** Depot to the last stop; the way back is not counted (a full truck goes to the transfer station). */
  totalM: number
}

export function nearestNeighbourRoute (depot: LatLon, stops: readonly Stop[]): Route {
  const left = [...stops]
  const legs: RouteLeg[] = []
  let here: LatLon = depot
  let total = 0
  while (left.length > 0) {
    let best = 0
    let bestM = haversineM(here, left[0]!)
    for (let i = 1; i < left.length; i++) {
      const m = haversineM(here, left[i]!)
      // Strictly closer only: on a tie the earlier stop wins, so the same input gives the same round.
      if (m < bestM) { best = i; bestM = m }
    }
    const [next] = left.splice(best, 1)
    total += bestM
    legs.push({ id: next!.id, legM: bestM, cumulativeM: total })
    here = next!
  }
  return { legs, totalM: total }
}
