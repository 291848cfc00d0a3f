import { describe, expect, it } from 'vitest'
import { formatProgress } from '../../simulators/progress.js'
import { Stats } from '../../simulators/stats.js'
import { formatSummary } from '../../simulators/summary.js'

describe('progress line', () => {
  it('shows sent, acked, rejected by code, rate and the model clock in Utrecht time', () => {
    const line = formatProgress({
      elapsedS: 3725,
      sent: 12_345,
      acked: 12_300,
      rejected: 3,
      rejectedByCode: new Map([['INGEST_ERR_TYPE', 2], ['INGEST_ERR_MALFORMED', 1]]),
      inFlight: 4,
      ratePerS: 20.54,
      connected: 9,
      devices: 10,
      modelMs: Date.UTC(2025, 5, 7, 12, 30),
      qos: 1
    })
    expect(line).toBe('01:02:05  sent 12,345  acked 12,300  rejected 3  in flight 4  21 msg/s  up 9/10  model Sat 14:30  [MALFORMED 1 TYPE 2]')
  })
})

describe('summary', () => {
  it('sets the rejections against what was sent to provoke them, and flags valid readings refused', () => {
    const stats = new Stats()
    for (let i = 0; i < 10; i++) stats.countSent('crowd')
    stats.sentBad('INGEST_ERR_TYPE')
    stats.reject('INGEST_ERR_TYPE')
    stats.reject('INGEST_ERR_UNIT')
    const text = formatSummary({
      elapsedS: 10,
      mode: 'misbehave',
      qos: 0,
      stopReason: 'Ctrl-C',
      devicesByKind: new Map([['crowd', 2]]),
      connectedAtEnd: 2,
      inFlightAtEnd: 0,
      connectionProblems: [],
      stats,
      credentials: 'data/simulator-credentials.json'
    })
    expect(text).toMatch(/sent\s+10 \(1\.0 msg\/s\): crowd 10/)
    expect(text).toMatch(/INGEST_ERR_TYPE\s+1 {2}of 1 sent to provoke it/)
    expect(text).toMatch(/no bad message was meant to earn INGEST_ERR_UNIT/)
    expect(text).toMatch(/acknowledged\s+n\/a at QoS 0/)
  })
})
