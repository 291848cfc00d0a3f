/**
 * Distances for the ride trimmer, metres.
 *
 * `haversineM` is the great-circle distance on a sphere of the IUGG mean radius; at Dutch
 * latitudes it reads short of the GRS80 ellipsoid by 0.07 % north-south and 0.3 % east-west
 * (under 2 m over 500 m), which is fine for a ride's length. Trimming compares distances in
 * RD New metres instead (`planarM`): the projection is conformal with a scale factor within
 * 2e-4 of one across the Netherlands, so over a few hundred metres it is exact to a decimetre.
 */

/** Mean Earth radius, metres (IUGG); the same constant as core/geo.ts. */
const EARTH_RADIUS_M = 6_371_008.8
const RAD = Math.PI / 180

export function haversineM (lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD
  const dLon = (lon2 - lon1) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Euclidean distance between two points of one planar grid (RD New), metres. */
export function planarM (a: { x: number, y: number }, b: { x: number, y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y)
}
