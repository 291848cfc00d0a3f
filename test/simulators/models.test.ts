import { describe, expect, it } from 'vitest'
import { sensorRegistrationSchema, zoneInputSchema } from '../../core/sensor.js'
import { DAY_MS, fromUtrechtTime } from '../../simulators/local-time.js'
import { SIMULATED_KINDS, deviceSeed, type DeviceContext, type SimulatedKind } from '../../simulators/models.js'
import { kindDefinition, payloadErrors, senmlReading, undeclaredKeys } from './kind-schemas.js'

const CITY = 1
const model = (kind: string): SimulatedKind => SIMULATED_KINDS.find((m) => m.kind === kind)!
const device = (m: SimulatedKind, index: number): DeviceContext => ({ sensorId: `sim-${m.kind}-${index}`, index, seed: deviceSeed(CITY, m.kind, index), citySeed: CITY })

describe('simulated kinds', () => {
  it('exist in the registry with the default rate of their expected interval', () => {
    for (const m of SIMULATED_KINDS) expect(1 / m.defaultRate).toBe(kindDefinition(m.kind).expectedIntervalS)
  })

  it('register complete, non-personal entries the admin API accepts', () => {
    for (const m of SIMULATED_KINDS) {
      for (let index = 0; index < 8; index++) {
        const { body, zone } = m.registration(index, deviceSeed(CITY, m.kind, index))
        expect(sensorRegistrationSchema.safeParse({ id: `sim-${m.kind}-${index}`, ...body }).success).toBe(true)
        expect(body.processesPersonalData).toBe(false)
        if (m.kind === 'crowd') {
          expect(zoneInputSchema.safeParse(zone).success).toBe(true)
          expect(body.zoneId).toBe(zone!.id)
        }
        if (m.kind === 'wastebin') expect(body.location).toBeDefined()
        if (m.kind === 'snuffelfiets') expect(body.location).toBeUndefined()
      }
    }
  })

  it('publish payloads with only declared fields, inside the kind schema, over a week', () => {
    const start = fromUtrechtTime(2025, 6, 2)
    let bikeMessages = 0
    for (const m of SIMULATED_KINDS) {
      for (let index = 0; index < 3; index++) {
        const ctx = device(m, index)
        for (let modelMs = start; modelMs < start + 7 * DAY_MS; modelMs += 131_000) {
          const out = m.message(ctx, modelMs, modelMs)
          if (out === null) continue
          const reading = out.channel === 'senml'
            ? senmlReading(m.kind, ctx.sensorId, out.body).reading
            : (({ time, ...rest }) => rest)(JSON.parse(out.body) as Record<string, unknown>)
          expect(undeclaredKeys(m.kind, reading)).toEqual([])
          expect(payloadErrors(m.kind, reading)).toEqual([])
          if (m.kind === 'snuffelfiets') bikeMessages++
        }
      }
    }
    expect(bikeMessages).toBeGreaterThan(50)
  })

  it('give each device its own seed', () => {
    const seeds = SIMULATED_KINDS.flatMap((m) => [0, 1, 2].map((i) => deviceSeed(CITY, m.kind, i)))
    expect(new Set(seeds).size).toBe(seeds.length)
    expect(deviceSeed(CITY, 'crowd', 0)).not.toBe(deviceSeed(CITY + 1, 'crowd', 0))
  })

  it('put crowd monitors in every zone before doubling up', () => {
    const zones = [0, 1, 2, 3, 4, 5].map((i) => model('crowd').registration(i, 0).body.zoneId)
    expect(new Set(zones).size).toBe(6)
  })
})
