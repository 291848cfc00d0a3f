import { describe, expect, it } from 'vitest'
import { createTokenBuckets } from '../../broker/token-bucket.js'

describe('token buckets', () => {
  const limit = { perMinute: 60, burst: 3 }

  function clock (): { now: () => number, advance (ms: number): void } {
    let t = 1_000_000
    return { now: () => t, advance: (ms) => { t += ms } }
  }

  it('allows a burst, then refuses until a token has refilled', () => {
    const c = clock()
    const buckets = createTokenBuckets({ now: c.now })
    expect([1, 2, 3, 4].map(() => buckets.take('s1', limit))).toEqual([true, true, true, false])
    // 60 a minute is one a second.
    c.advance(999)
    expect(buckets.take('s1', limit)).toBe(false)
    c.advance(1)
    expect(buckets.take('s1', limit)).toBe(true)
    expect(buckets.take('s1', limit)).toBe(false)
  })

  it('keeps one sensor\'s bucket apart from another\'s', () => {
    const buckets = createTokenBuckets({ now: clock().now })
    for (let i = 0; i < 3; i++) buckets.take('flood', limit)
    expect(buckets.take('flood', limit)).toBe(false)
    expect(buckets.take('calm', limit)).toBe(true)
  })

  it('refills no further than the burst after a long silence', () => {
    const c = clock()
    const buckets = createTokenBuckets({ now: c.now })
    buckets.take('s1', limit)
    c.advance(3_600_000)
    expect([1, 2, 3, 4].map(() => buckets.take('s1', limit))).toEqual([true, true, true, false])
  })

  it('forgets refilled buckets and never holds more than maxKeys', () => {
    const c = clock()
    const buckets = createTokenBuckets({ now: c.now, maxKeys: 8 })
    for (let i = 0; i < 100; i++) buckets.take(`s${i}`, limit)
    expect(buckets.size).toBeLessThanOrEqual(8)
    c.advance(10_000)
    for (let i = 0; i < 4; i++) buckets.take('busy', limit)
    expect(buckets.size).toBe(1)
  })
})
