/** One decimal: the resolution of the sensors simulated here (0.1 ug/m3, 0.1 Cel, 0.1 %). */
export function round1 (x: number): number {
  return Math.round(x * 10) / 10
}

/** Six decimals of a degree, about 0.1 m: finer than any GPS fix. */
export function round6 (x: number): number {
  return Math.round(x * 1e6) / 1e6
}
