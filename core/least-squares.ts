/**
 * Ordinary least-squares slope of y on x. Sums are centred on the means: epoch milliseconds
 * squared (~1e24) would lose the slope to rounding. Fewer than two points, or all at one x,
 * give 0.
 */
export function leastSquaresSlope (points: ReadonlyArray<{ x: number, y: number }>): number {
  const n = points.length
  if (n < 2) return 0
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n
  let sxy = 0
  let sxx = 0
  for (const p of points) {
    sxy += (p.x - meanX) * (p.y - meanY)
    sxx += (p.x - meanX) ** 2
  }
  return sxx === 0 ? 0 : sxy / sxx
}
