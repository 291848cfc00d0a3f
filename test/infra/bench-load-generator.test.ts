import { describe, expect, it } from 'vitest'
import { BENCH_KINDS, benchSensor, benchSensors, CITY_MIX, FIXED_MIX } from '../../infra/bench/bench-sensors.js'
import { LatencyHistogram } from '../../infra/bench/latency-histogram.js'
import { patchTime, payloadOf } from '../../infra/bench/payloads.js'
import { Progress } from '../../infra/bench/progress.js'
import { benchZone } from '../../infra/bench/provision.js'
import { storedChecks, toRow, verdicts, withRatios } from '../../infra/bench/report.js'
import { runSession, type Run } from '../../infra/bench/run-session.js'
import type { Scenario } from '../../infra/bench/scenarios.js'
import { startAedes } from '../../infra/bench/targets/aedes-target.js'
import { DECODERS } from '../../ingest/decoders/index.js'
import { checkCounts } from '../../ingest/privacy/crowd-counts.js'
import { scanPayload } from '../../ingest/privacy/identifiers.js'
import { compileKind } from '../../ingest/validate.js'
import { loadKinds } from '../../registry/kind-catalog.js'

/**
 * The bench's own machinery (issue #8): its payloads pass the platform's ingest checks, and
 * the load generator's counts add up against a real bare aedes, through the session runner
 * and the report code. Behaviour only: no assertion depends on how fast the machine is.
 */
describe('bench payloads', () => {
  it('are accepted whole by the platform\'s decode, validate and privacy stages', () => {
    const kinds = loadKinds()
    const now = Date.UTC(2026, 0, 5, 12)
    for (const kind of BENCH_KINDS) {
      const validator = compileKind(kinds.get(kind)!)
      for (const index of [0, 1, 17]) {
        const sensor = benchSensor(kind, index)
        for (const timed of [true, false]) {
          const payload = payloadOf(sensor, index + 3, timed)
          if (timed) patchTime(payload.bytes, payload.timeOffset, now - 1_234)
          expect(scanPayload(payload.bytes, sensor.id)).toBeUndefined()
          const groups = DECODERS[sensor.format](payload.bytes, now)
          const readings = validator.toReadings(groups, { sensorId: sensor.id, now, maxFutureMs: 300_000 })
          expect(readings).toHaveLength(payload.readings)
          expect(readings.every((r) => r.time === (timed ? now - 1_234 : now))).toBe(true)
          if (kind === 'crowd') checkCounts(readings, benchZone(0), kinds.get(kind)!.privacy.counts!)
        }
      }
    }
  })

  it('mixes the kinds in proportion and on both channels', () => {
    const fleet = benchSensors(1_000, CITY_MIX)
    const count = (kind: string): number => fleet.filter((s) => s.kind === kind).length
    expect([count('wastebin'), count('crowd'), count('snuffelfiets')]).toEqual([600, 300, 100])
    expect(new Set(fleet.map((s) => s.id)).size).toBe(1_000)
    expect(fleet.filter((s) => s.format === 'json').length).toBe(500)
  })
})

describe('a bench session against bare aedes', () => {
  const fleet = { sensors: 20, mix: FIXED_MIX, generators: 2, targets: ['aedes'], warmupS: 0.2, measureS: 1 } as const
  const session: Scenario[] = [
    { ...fleet, id: 'qos1-c1000', title: 'QoS 1 full speed', qos: 1, window: 8, targets: ['aedes'] },
    { ...fleet, id: 'qos0-c1000', title: 'QoS 0 full speed', qos: 0, window: 20, targets: ['aedes'] },
    { ...fleet, id: 'paced', title: 'QoS 1 at 200 msg/s with a subscriber', qos: 1, window: 2, rate: 200, subscriber: true, targets: ['aedes'] }
  ]

  it('counts add up in every phase, and the report and verdicts agree with them', async () => {
    const runs: Run[] = []
    const started = performance.now()
    const result = await runSession({ target: 'aedes', scenarios: session }, 1, {
      start: async () => startAedes(),
      progress: new Progress({ quiet: true }),
      rateOf: () => undefined,
      settleS: 0.1,
      drainTimeoutS: 10
    }, (run) => runs.push(run))
    const elapsedS = (performance.now() - started) / 1000

    expect(runs.map((r) => r.scenario)).toEqual(['qos1-c1000', 'qos0-c1000', 'paced'])
    expect(result.report.crashed).toBe(false)
    expect(result.connections).toBe(20)
    for (const run of runs) {
      const { stats } = run
      expect(run.drain.inflight).toBe(0)
      expect(stats.disconnects).toBe(0)
      expect(run.crashed).toBe(false)
      // Bins send 3 readings a message, crowd monitors 1: readings come only in whole messages.
      expect(stats.sentReadings.snuffelfiets).toBe(0)
      expect(stats.sentReadings.wastebin / 3 + stats.sentReadings.crowd).toBe(stats.sent)
      expect(run.messages).toBe(stats.windowMessages)
      expect(run.messages).toBeGreaterThan(0)
      expect(run.messages).toBeLessThanOrEqual(stats.sent)
    }
    const [qos1, qos0, paced] = runs as [Run, Run, Run]
    // QoS 1: everything sent was acknowledged, and every acknowledgement in the window timed.
    expect(qos1.stats.acked).toBe(qos1.stats.sent)
    expect(qos1.stats.ackedReadings).toEqual(qos1.stats.sentReadings)
    expect(new LatencyHistogram(qos1.stats.latency.counts).count).toBe(qos1.messages)
    // QoS 0: probes are the only acknowledged messages (window 20: every 10th).
    expect(qos0.stats.acked).toBeGreaterThan(0)
    expect(qos0.stats.acked).toBeLessThan(qos0.stats.sent)
    // Paced: never ahead of the rate, all acknowledged, and the `#` subscriber heard them.
    expect(paced.stats.sent).toBeLessThanOrEqual(Math.ceil(200 * elapsedS))
    expect(paced.stats.acked).toBe(paced.stats.sent)
    expect(paced.stats.subscriberReceived).toBeGreaterThan(0)
    expect(paced.stats.subscriberReceived).toBeLessThanOrEqual(paced.stats.sent + qos1.stats.sent + qos0.stats.sent)
    // What the session says must be stored: QoS 1 acknowledged plus QoS 0 handled, bins and crowd.
    const stored = (r: Run, which: 'ackedReadings' | 'sentReadings'): number => r.stats[which].wastebin + r.stats[which].crowd
    expect(result.expected).toBe(stored(qos1, 'ackedReadings') + stored(qos0, 'sentReadings') + stored(paced, 'ackedReadings'))

    const aedesRow = toRow(qos1)
    expect(aedesRow.messagesPerS).toBe(Math.round(qos1.messages / qos1.seconds))
    expect(aedesRow.p50Ms!).toBeLessThanOrEqual(aedesRow.p99Ms!)
    expect(toRow(qos0).p99Ms).toBeUndefined()
    // The same counts as a platform whose store holds every acknowledged reading, then one short.
    const platformRow = toRow({ ...qos1, target: 'platform', rejected: {} })
    const [withRatio] = withRatios([platformRow, aedesRow])
    expect(withRatio!.vsAedes).toBe(1)
    const asPlatform = (missing: number): ReturnType<typeof storedChecks> => storedChecks([{
      ...result,
      target: 'platform',
      report: { ...result.report, stored: { wastebin: result.expected - missing, crowd: 0 } }
    }])
    expect(asPlatform(0)).toEqual([expect.objectContaining({ expected: result.expected, stored: result.expected, missing: 0 })])
    const judged = verdicts([withRatio!, aedesRow], asPlatform(0))
    expect(judged.find((v) => v.target.startsWith('QoS 1 ingest'))?.pass).toBe(true)
    expect(judged.find((v) => v.target === 'every acknowledged reading stored')?.pass).toBe(true)
    expect(judged.find((v) => v.target.startsWith('no message rejected'))?.pass).toBe(true)
    expect(verdicts([withRatio!], asPlatform(1)).find((v) => v.target === 'every acknowledged reading stored')?.pass).toBe(false)
  }, 60_000)
})
