import { describe, expect, it } from 'vitest'
import { createAttemptLimiter } from '../../broker/attempt-limiter.js'

describe('attempt limiter', () => {
  function setup (maxKeys?: number): { limiter: ReturnType<typeof createAttemptLimiter>, advance (ms: number): void } {
    let t = 5_000_000
    const limiter = createAttemptLimiter({ max: 3, windowMs: 60_000, now: () => t, maxKeys })
    return { limiter, advance: (ms) => { t += ms } }
  }

  it('blocks a key at max failures until its window ends', () => {
    const { limiter, advance } = setup()
    limiter.fail('ip:10.0.0.1')
    limiter.fail('ip:10.0.0.1')
    expect(limiter.blocked('ip:10.0.0.1')).toBe(false)
    limiter.fail('ip:10.0.0.1')
    expect(limiter.blocked('ip:10.0.0.1')).toBe(true)
    advance(59_999)
    expect(limiter.blocked('ip:10.0.0.1')).toBe(true)
    advance(1)
    expect(limiter.blocked('ip:10.0.0.1')).toBe(false)
  })

  it('counts each key apart', () => {
    const { limiter } = setup()
    for (let i = 0; i < 3; i++) limiter.fail('user:a')
    expect(limiter.blocked('user:a')).toBe(true)
    expect(limiter.blocked('user:b')).toBe(false)
  })

  it('starts a new window after the old one ends', () => {
    const { limiter, advance } = setup()
    limiter.fail('k')
    limiter.fail('k')
    advance(60_000)
    limiter.fail('k')
    limiter.fail('k')
    expect(limiter.blocked('k')).toBe(false)
  })

  it('holds at most maxKeys windows and forgets expired ones', () => {
    const { limiter, advance } = setup(10)
    for (let i = 0; i < 1_000; i++) limiter.fail(`user:guess-${i}`)
    expect(limiter.size).toBeLessThanOrEqual(10)
    advance(60_000)
    limiter.fail('user:new')
    expect(limiter.blocked('user:guess-999')).toBe(false)
    expect(limiter.size).toBeLessThanOrEqual(10)
  })
})
