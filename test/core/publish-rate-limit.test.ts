import { describe, expect, it } from 'vitest'
import { publishRateLimit } from '../../core/kind.js'
import { loadKinds } from '../../registry/kind-catalog.js'

describe('publishRateLimit', () => {
  it('derives 60 times the expected rate, at least 6 a minute, with a burst of 100', () => {
    expect(publishRateLimit({ expectedIntervalS: 60 })).toEqual({ perMinute: 60, burst: 100 })
    expect(publishRateLimit({ expectedIntervalS: 10 })).toEqual({ perMinute: 360, burst: 100 })
    expect(publishRateLimit({ expectedIntervalS: 3600 })).toEqual({ perMinute: 6, burst: 100 })
  })

  it('takes a kind\'s own limit over the default', () => {
    expect(publishRateLimit({ expectedIntervalS: 60, rateLimit: { perMinute: 5, burst: 7 } })).toEqual({ perMinute: 5, burst: 7 })
  })

  it('every built-in kind states its limit explicitly', () => {
    for (const kind of loadKinds().values()) expect(kind.rateLimit, kind.id).toBeDefined()
  })
})
