import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SensorRegistration, ZoneInput } from '../../core/sensor.js'
import { AdminApiError, type AdminClient } from '../../simulators/admin-client.js'
import { readCredentials, writeCredentials } from '../../simulators/credentials-file.js'
import { SIMULATED_KINDS, type SimulatedKind } from '../../simulators/models.js'
import { provision } from '../../simulators/provision.js'

const kind = (id: string): SimulatedKind => SIMULATED_KINDS.find((m) => m.kind === id)!
let dir: string
let file: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorstad-sim-'))
  file = join(dir, 'nested', 'credentials.json')
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

/** An in-memory admin API that can be told to fail on the n-th registration. */
function fakeAdmin (failAt = Infinity): AdminClient & { zones: ZoneInput[], sensors: SensorRegistration[] } {
  const zones: ZoneInput[] = []
  const sensors: SensorRegistration[] = []
  return {
    zones,
    sensors,
    async createZone (zone) {
      if (zones.some((z) => z.id === zone.id)) return 'exists'
      zones.push(zone)
      return 'created'
    },
    async registerSensor (body) {
      if (sensors.length + 1 >= failAt) throw new AdminApiError('registry down', 500)
      sensors.push(body)
      return { id: body.id!, password: `pw-${sensors.length}` }
    }
  }
}

const base = { fresh: false, citySeed: 1, log: () => {}, signal: new AbortController().signal }

describe('provision', () => {
  it('registers zones and sensors, saves them privately, and reuses them next time without the admin API', async () => {
    const admin = fakeAdmin()
    const plan = [{ model: kind('crowd'), count: 3 }, { model: kind('wastebin'), count: 2 }]
    const first = await provision({ ...base, plan, file, admin: () => admin })
    expect(first.map((d) => [d.kind, d.index])).toEqual([['crowd', 0], ['crowd', 1], ['crowd', 2], ['wastebin', 0], ['wastebin', 1]])
    expect(admin.zones).toHaveLength(3)
    expect(admin.sensors[0]!.zoneId).toBe(admin.zones[0]!.id)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readCredentials(file)).toEqual(first.map(({ id, kind, password }) => ({ id, kind, password })))

    const again = await provision({ ...base, plan, file, admin: () => { throw new Error('the admin API must not be needed') } })
    expect(again).toEqual(first)
  })

  it('registers only what the file lacks, keeping each kind in index order', async () => {
    const admin = fakeAdmin()
    await provision({ ...base, plan: [{ model: kind('crowd'), count: 1 }], file, admin: () => admin })
    const more = await provision({ ...base, plan: [{ model: kind('crowd'), count: 2 }, { model: kind('snuffelfiets'), count: 1 }], file, admin: () => admin })
    expect(admin.sensors.map((s) => s.kind)).toEqual(['crowd', 'crowd', 'snuffelfiets'])
    expect(more.map((d) => d.index)).toEqual([0, 1, 0])
    // The second crowd monitor goes to the second zone, as device 1 must.
    expect(admin.sensors[1]!.zoneId).toBe(kind('crowd').registration(1, 0).zone!.id)
  })

  it('saves what was registered before a failure, and reports the failure', async () => {
    const admin = fakeAdmin(3)
    const run = provision({ ...base, plan: [{ model: kind('wastebin'), count: 5 }], file, admin: () => admin, concurrency: 1 })
    await expect(run).rejects.toThrow(/registry down/)
    expect((await readCredentials(file)).map((c) => c.kind)).toEqual(['wastebin', 'wastebin'])
  })

  it('starts over with --fresh', async () => {
    await writeCredentials(file, [{ id: 'old', kind: 'crowd', password: 'x' }])
    const devices = await provision({ ...base, fresh: true, plan: [{ model: kind('crowd'), count: 1 }], file, admin: () => fakeAdmin() })
    expect(devices[0]!.id).not.toBe('old')
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveLength(1)
  })

  it('refuses a credentials file it cannot read, saying what to do', async () => {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, '{"not": "a list"}')
    await expect(provision({ ...base, plan: [{ model: kind('crowd'), count: 1 }], file, admin: () => fakeAdmin() })).rejects.toThrow(/--fresh/)
  })
})
