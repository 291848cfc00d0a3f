/**
 * WGS 84 <-> RD New (Amersfoort / RD New, EPSG:28992), the Dutch national grid in metres.
 *
 * Source: F.H. Schreutelkamp and G.L. Strang van Hees, "Benaderingsformules voor de
 * transformatie tussen RD- en WGS84-kaartcoordinaten", Stichting De Koepel / TU Delft, 2001
 * (published in Geodesia 2001). The polynomials are fitted to RDNAPTRANS and are accurate to
 * about a metre inside the Netherlands; they must not be used to extrapolate outside it. A
 * metre is far finer than the 100 m cells the privacy stage snaps to, which is all we need
 * them for; anything survey-grade needs RDNAPTRANS with its correction grids.
 *
 * Origin: the spire of the Onze Lieve Vrouwetoren ('Lange Jan') in Amersfoort,
 * x 155 000 m, y 463 000 m, at WGS 84 lat 52.15517440, lon 5.38720621.
 */

const X0 = 155_000
const Y0 = 463_000
const LAT0 = 52.15517440
const LON0 = 5.38720621

/** One term of a polynomial: coefficient * a^p * b^q. */
type Term = readonly [p: number, q: number, coefficient: number]

// WGS 84 -> RD: a = dLat, b = dLon in units of 10^4 arc seconds (0.36 * degrees); result in m.
const X_TERMS: readonly Term[] = [
  [0, 1, 190094.945], [1, 1, -11832.228], [2, 1, -114.221], [0, 3, -32.391], [1, 0, -0.705],
  [3, 1, -2.340], [1, 3, -0.608], [0, 2, -0.008], [2, 3, 0.148]
]
const Y_TERMS: readonly Term[] = [
  [1, 0, 309056.544], [0, 2, 3638.893], [2, 0, 73.077], [1, 2, -157.984], [3, 0, 59.788],
  [0, 1, 0.433], [2, 2, -6.439], [1, 1, -0.032], [0, 4, 0.092], [1, 4, -0.054]
]

// RD -> WGS 84: a = dx, b = dy in units of 100 km (10^-5 * metres); result in arc seconds.
const LAT_TERMS: readonly Term[] = [
  [0, 1, 3235.65389], [2, 0, -32.58297], [0, 2, -0.24750], [2, 1, -0.84978], [0, 3, -0.06550],
  [2, 2, -0.01709], [1, 0, -0.00738], [4, 0, 0.00530], [2, 3, -0.00039], [4, 1, 0.00033],
  [1, 1, -0.00012]
]
const LON_TERMS: readonly Term[] = [
  [1, 0, 5260.52916], [1, 1, 105.94684], [1, 2, 2.45656], [3, 0, -0.81885], [1, 3, 0.05594],
  [3, 1, -0.05607], [0, 1, 0.01199], [3, 2, -0.00256], [1, 4, 0.00128], [0, 2, 0.00022],
  [2, 0, -0.00022], [5, 0, 0.00026]
]

// Powers up to the 5th are tabled once per call: `**` costs several times a multiplication,
// and every fix of every mobile sensor passes through here.
const powersA = new Float64Array(6)
const powersB = new Float64Array(6)

function evaluate (terms: readonly Term[], a: number, b: number): number {
  powersA[0] = 1
  powersB[0] = 1
  for (let i = 1; i < 6; i++) {
    powersA[i] = powersA[i - 1]! * a
    powersB[i] = powersB[i - 1]! * b
  }
  let sum = 0
  for (const [p, q, c] of terms) sum += c * powersA[p]! * powersB[q]!
  return sum
}

export interface RdPoint {
  /** Easting, metres. */
  x: number
  /** Northing, metres. */
  y: number
}

export interface Wgs84Point {
  /** Degrees north. */
  lat: number
  /** Degrees east. */
  lon: number
}

/** WGS 84 degrees to RD New metres; about 1 m accurate inside the Netherlands. */
export function wgs84ToRd (lat: number, lon: number): RdPoint {
  const dLat = 0.36 * (lat - LAT0)
  const dLon = 0.36 * (lon - LON0)
  return { x: X0 + evaluate(X_TERMS, dLat, dLon), y: Y0 + evaluate(Y_TERMS, dLat, dLon) }
}

/** RD New metres to WGS 84 degrees; the inverse polynomial, about 1 m accurate in the Netherlands. */
export function rdToWgs84 (x: number, y: number): Wgs84Point {
  const dx = 1e-5 * (x - X0)
  const dy = 1e-5 * (y - Y0)
  return { lat: LAT0 + evaluate(LAT_TERMS, dx, dy) / 3600, lon: LON0 + evaluate(LON_TERMS, dx, dy) / 3600 }
}
