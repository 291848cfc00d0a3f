import { describe, expect, it } from 'vitest'
import { gaussianHash, hashString, smoothNoise, unitHash } from '../../simulators/random.js'

describe('keyed randomness', () => {
  it('is fixed by its keys and spread evenly over [0, 1)', () => {
    expect(unitHash(1, 2, 3)).toBe(unitHash(1, 2, 3))
    expect(unitHash(1, 2, 3)).not.toBe(unitHash(1, 2, 4))
    // Epoch milliseconds differ above 2^32 only: still different.
    expect(unitHash(1_700_000_000_000)).not.toBe(unitHash(1_700_000_000_000 + 2 ** 32))
    const values = Array.from({ length: 20_000 }, (_, i) => unitHash(7, i))
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThan(1)
    }
    const buckets = new Array<number>(10).fill(0)
    for (const v of values) buckets[Math.floor(v * 10)]!++
    for (const n of buckets) expect(Math.abs(n - 2_000)).toBeLessThan(200)
  })

  it('gives standard normal values', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => gaussianHash(3, i))
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(sd - 1)).toBeLessThan(0.03)
  })

  it('wanders smoothly: no jumps between close samples', () => {
    for (let x = 0; x < 50; x += 0.01) {
      expect(Math.abs(smoothNoise(5, x + 0.01) - smoothNoise(5, x))).toBeLessThan(0.04)
      expect(Math.abs(smoothNoise(5, x))).toBeLessThanOrEqual(1)
    }
  })

  it('hashes names to seeds', () => {
    expect(hashString('crowd')).not.toBe(hashString('wastebin'))
    expect(hashString('')).toBe(0x811c9dc5)
  })
})
