import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { Pseudonymizer } from '../../../ingest/privacy/pseudonym.js'
import { errorOf } from '../../helpers/error-of.js'

const DAY = 86_400_000
const NOON = Date.UTC(2024, 5, 3, 12, 0, 0)

function fixedKeys (): { randomKey: () => Buffer, drawn: Buffer[] } {
  const drawn: Buffer[] = []
  let n = 0
  return {
    drawn,
    randomKey: () => {
      const key = Buffer.alloc(32, ++n)
      drawn.push(Buffer.from(key))
      return key
    }
  }
}

describe('Pseudonymizer', () => {
  it('gives the same input the same pseudonym all day, 22 base64url characters', () => {
    const p = new Pseudonymizer({ now: () => NOON })
    const morning = p.pseudonym('bike-1', NOON - 11 * 3_600_000)
    expect(morning).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(p.pseudonym('bike-1', NOON + 11 * 3_600_000)).toBe(morning)
    expect(p.pseudonym('bike-2', NOON)).not.toBe(morning)
  })

  it('property: two days of data share no pseudonym', () => {
    const p = new Pseudonymizer({ now: () => NOON })
    const inputs = Array.from({ length: 1_000 }, (_, i) => `bike-${i}`)
    const today = new Set(inputs.map((s) => p.pseudonym(s, NOON)))
    const yesterday = new Set(inputs.map((s) => p.pseudonym(s, NOON - DAY)))
    expect(today.size).toBe(inputs.length)
    expect(yesterday.size).toBe(inputs.length)
    for (const pseudonym of yesterday) expect(today.has(pseudonym)).toBe(false)
  })

  it('uses a fresh random key per day, so a new process cannot recompute a pseudonym', () => {
    const a = new Pseudonymizer({ now: () => NOON })
    const b = new Pseudonymizer({ now: () => NOON })
    expect(a.pseudonym('bike-1', NOON)).not.toBe(b.pseudonym('bike-1', NOON))
  })

  it('keeps keepDays past days for late readings and refuses older ones', () => {
    let now = NOON
    const p = new Pseudonymizer({ now: () => now, keepDays: 2 })
    const old = p.pseudonym('bike-1', NOON)
    now += 2 * DAY
    expect(p.pseudonym('bike-1', NOON)).toBe(old)
    now += DAY
    expect(errorOf(() => p.pseudonym('bike-1', NOON)).code).toBe('INGEST_ERR_TOO_LATE')
    expect(p.keyCount).toBe(0)
  })

  it('with keepDays 0 holds only today\'s key', () => {
    let now = NOON
    const p = new Pseudonymizer({ now: () => now, keepDays: 0 })
    p.pseudonym('bike-1', NOON)
    now += DAY
    p.pseudonym('bike-1', now)
    expect(p.keyCount).toBe(1)
    expect(errorOf(() => p.pseudonym('bike-1', NOON)).code).toBe('INGEST_ERR_TOO_LATE')
  })

  it('accepts tomorrow (a clock a little ahead) but not later', () => {
    const p = new Pseudonymizer({ now: () => NOON })
    expect(p.pseudonym('bike-1', NOON + DAY)).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(errorOf(() => p.pseudonym('bike-1', NOON + 2 * DAY)).code).toBe('INGEST_ERR_FUTURE')
  })

  it('never shows its keys: not in output, JSON, keys or inspect', () => {
    const keys = fixedKeys()
    const p = new Pseudonymizer({ now: () => NOON, randomKey: keys.randomKey })
    const outputs = [p.pseudonym('bike-1', NOON), p.pseudonym('bike-1', NOON - DAY)]
    expect(keys.drawn).toHaveLength(2)
    const views = [JSON.stringify(p), inspect(p, { showHidden: true, depth: 5 }), ...outputs]
    expect(Object.keys(p)).toEqual([])
    expect(Object.getOwnPropertyNames(p)).toEqual([])
    for (const key of keys.drawn) {
      for (const view of views) {
        for (const encoding of ['hex', 'base64', 'base64url', 'latin1'] as const) expect(view).not.toContain(key.toString(encoding))
      }
    }
    // The pseudonym is a truncated HMAC, not any prefix of the key.
    for (const output of outputs) expect(Buffer.from(output, 'base64url').equals(keys.drawn[0]!.subarray(0, 16))).toBe(false)
  })

  it('refuses a key that is not 32 bytes and a keepDays that is not a whole number', () => {
    const p = new Pseudonymizer({ now: () => NOON, randomKey: () => Buffer.alloc(16) })
    expect(() => p.pseudonym('x', NOON)).toThrow(RangeError)
    expect(() => new Pseudonymizer({ keepDays: 1.5 })).toThrow(RangeError)
  })
})
