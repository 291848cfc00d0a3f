/**
 * Distances for the ride trimmer, metres. A ride's length is a great-circle sum
 * (core/geo.ts `haversineM`); trimming compares distances in RD New metres instead (`planarM`): the projection is conformal with a scale factor within
 * 2e-4 of one across the Netherlands, so over a few hundred metres it is exact to a decimetre.
 */

/** Euclidean distance between two points of one planar grid (RD New), metres. */
export function planarM (a: { x: number, y: number }, b: { x: number, y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y)
}
