import { describe, expect, it } from 'vitest'
import type { Device } from '../../simulators/device.js'
import { Fleet, type FleetOptions } from '../../simulators/fleet.js'
import { SIMULATED_KINDS, deviceSeed, type SimulatedKind } from '../../simulators/models.js'
import type { Outgoing } from '../../simulators/outgoing.js'
import { Stats } from '../../simulators/stats.js'

/** Records what the fleet publishes; acks at once, like a broker on localhost. */
class RecordingDevice {
  readonly sent: Array<Outgoing & { expected?: string }> = []
  connected = true
  inFlight = 0
  constructor (readonly stats: Stats, readonly kind: string) {}
  publish (out: Outgoing, expected?: string): boolean {
    this.stats.countSent(this.kind)
    if (expected !== undefined) this.stats.sentBad(expected)
    this.sent.push({ ...out, expected })
    return true
  }

  async ready (): Promise<void> {
    // A real device resolves once a PUBACK frees its window: at least a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const crowd = SIMULATED_KINDS.find((m) => m.kind === 'crowd')!

function fleet (count: number, model: SimulatedKind, options: Partial<FleetOptions>): { fleet: Fleet, devices: RecordingDevice[], stats: Stats, maxed: () => boolean } {
  const stats = new Stats()
  let maxed = false
  const devices = Array.from({ length: count }, () => new RecordingDevice(stats, model.kind))
  const members = devices.map((device, index) => ({
    device: device as unknown as Device,
    model,
    context: { sensorId: `sim-${index}`, index, seed: deviceSeed(1, model.kind, index), citySeed: 1 }
  }))
  const f = new Fleet(members, { mode: 'normal', rate: undefined, speed: 1, modelStartMs: Date.now(), max: Infinity, stats, onMax: () => { maxed = true }, ...options })
  return { fleet: f, devices, stats, maxed: () => maxed }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('Fleet', () => {
  it('reports each device at its rate times the speed-up', async () => {
    // 1/60 per second at x3000: every 20 ms.
    const { fleet: f, devices } = fleet(3, crowd, { speed: 3000 })
    f.start()
    await sleep(500)
    await f.stop()
    for (const d of devices) {
      expect(d.sent.length).toBeGreaterThanOrEqual(10)
      expect(d.sent.length).toBeLessThanOrEqual(27)
    }
    const counted = devices[0]!.sent.length
    await sleep(100)
    expect(devices[0]!.sent.length).toBe(counted)
  })

  it('runs the model clock faster than the wall clock and stamps readings with the wall clock', async () => {
    const { fleet: f, devices } = fleet(1, crowd, { speed: 3600, modelStartMs: Date.UTC(2025, 5, 7, 10) })
    const before = Date.now()
    f.start()
    await sleep(200)
    expect(f.modelTime() - Date.UTC(2025, 5, 7, 10)).toBeGreaterThan(3600 * 150)
    await f.stop()
    const stamps = devices[0]!.sent.map((s) => (JSON.parse(s.body) as Array<{ bt: number }>)[0]!.bt * 1000)
    for (const t of stamps) {
      expect(t).toBeGreaterThanOrEqual(before)
      expect(t).toBeLessThanOrEqual(Date.now())
    }
    expect(new Set(stamps).size).toBe(stamps.length)
  })

  it('adds a bad message after every third reading in misbehave mode', async () => {
    const { fleet: f, devices, stats } = fleet(2, crowd, { mode: 'misbehave', speed: 3000 })
    f.start()
    await sleep(400)
    await f.stop()
    for (const d of devices) {
      const bad = d.sent.filter((s) => s.expected !== undefined).length
      const good = d.sent.length - bad
      expect(bad).toBeGreaterThan(0)
      expect(bad).toBe(Math.floor(good / 3))
    }
    expect(stats.badSent).toBeGreaterThan(0)
  })

  it('sends as fast as allowed in load mode and stops exactly at --max', async () => {
    const { fleet: f, stats, maxed } = fleet(4, crowd, { mode: 'load', max: 2_000 })
    f.start()
    for (let i = 0; i < 300 && !maxed(); i++) await sleep(10)
    await f.stop()
    expect(maxed()).toBe(true)
    expect(stats.sent).toBe(2_000)
  })
})
