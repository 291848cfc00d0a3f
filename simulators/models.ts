import type { SensorRegistration, ZoneInput } from '../core/sensor.js'
import { bikeMessage, bikeReading } from './bikes.js'
import { binPack, binPlacement, binReading } from './bins.js'
import { CROWD_ZONES, crowdPack, peopleCount, zoneInput } from './crowd.js'
import { ringCenter } from './geo.js'
import type { FieldSample } from './misbehave.js'
import type { Outgoing } from './outgoing.js'
import { hashString, seedOf } from './random.js'
import { round6 } from './round.js'

/**
 * The simulated kinds, as a table: how a device of each kind registers and what it says at a
 * given model time. The generators behind them are pure; this table only binds a device's
 * index and seed to them. Field names and units follow registry/kinds/*.json.
 */
export type SimulatedKindId = 'crowd' | 'snuffelfiets' | 'wastebin'

export interface DeviceContext {
  sensorId: string
  /** Position of the device among the simulated devices of its kind. */
  index: number
  /** The device's own seed (its noise, its rides, its fill rate). */
  seed: number
  /** Shared by all devices: weather, concerts, pollution episodes. */
  citySeed: number
}

export interface Registration {
  body: Omit<SensorRegistration, 'id'>
  /** A zone that must exist before the sensor can be registered. */
  zone?: ZoneInput
}

export interface SimulatedKind {
  kind: SimulatedKindId
  /** The CLI option giving the number of devices. */
  flag: 'crowd' | 'bikes' | 'bins'
  /** Readings per second per device, in model time. */
  defaultRate: number
  registration: (index: number, seed: number) => Registration
  /** The payload at model time `modelMs`, stamped with wall-clock `timeMs`; null when the device has nothing to report. */
  message: (device: DeviceContext, modelMs: number, timeMs: number) => Outgoing | null
  /** A declared field, for the messages a misbehaving device sends. */
  sample: FieldSample
}

/** A device's seed: fixed by the run's seed, its kind and its index, not by its (random) sensor id. */
export function deviceSeed (citySeed: number, kind: SimulatedKindId, index: number): number {
  return seedOf(citySeed, hashString(kind), index)
}

const SIMULATED = '(simulated)'
const DPIA = 'SENSORSTAD-SIM-DPIA-1'

const crowd: SimulatedKind = {
  kind: 'crowd',
  flag: 'crowd',
  defaultRate: 1 / 60,
  registration (index) {
    const zone = CROWD_ZONES[index % CROWD_ZONES.length]!
    const round = Math.floor(index / CROWD_ZONES.length)
    const center = ringCenter(zone.ring)
    return {
      zone: zoneInput(zone),
      body: {
        kind: 'crowd',
        name: `Druktemonitor ${zone.name}${round > 0 ? ` #${round + 1}` : ''} ${SIMULATED}`,
        owner: `Gemeente Utrecht, Openbare Orde en Veiligheid ${SIMULATED}`,
        contact: 'drukte@utrecht.example',
        purpose: 'Show how busy the space is so crowd managers can step in before it gets unsafe. Counts only, from heat sensors; simulated test data.',
        legalBasis: 'Public task: crowd safety (Gemeentewet art. 172). No personal data: the device sends a count and nothing about who.',
        dpiaRef: DPIA,
        processesPersonalData: false,
        public: true,
        zoneId: zone.id,
        location: { lat: round6(center.lat), lon: round6(center.lon) }
      }
    }
  },
  message (device, modelMs, timeMs) {
    const zone = CROWD_ZONES[device.index % CROWD_ZONES.length]!
    return { channel: 'senml', body: crowdPack(device.sensorId, peopleCount(zone, modelMs, device.citySeed, device.seed), timeMs) }
  },
  sample: { field: 'peopleCount', unit: 'count', value: 12, outOfRange: -5 }
}

const bikes: SimulatedKind = {
  kind: 'snuffelfiets',
  flag: 'bikes',
  defaultRate: 1 / 10,
  registration (index) {
    return {
      body: {
        kind: 'snuffelfiets',
        name: `Snuffelfiets ${String(index + 1).padStart(3, '0')} ${SIMULATED}`,
        owner: `Provincie Utrecht, Snuffelfiets ${SIMULATED}`,
        contact: 'snuffelfiets@utrecht.example',
        purpose: 'Map particulate matter along cycling routes, so the city knows where the air is worst. Simulated test data.',
        legalBasis: 'Citizen science with informed participants; locations are coarsened before storage and ride ends dropped.',
        dpiaRef: DPIA,
        processesPersonalData: false,
        public: true
      }
    }
  },
  message (device, modelMs, timeMs) {
    const reading = bikeReading(modelMs, device.citySeed, device.seed)
    return reading === null ? null : { channel: 'json', body: bikeMessage(reading, timeMs) }
  },
  sample: { field: 'pm25', unit: 'ug/m3', value: 8.4, outOfRange: 1500 }
}

const bins: SimulatedKind = {
  kind: 'wastebin',
  flag: 'bins',
  defaultRate: 1 / 3600,
  registration (index, seed) {
    const placement = binPlacement(index, seed)
    return {
      body: {
        kind: 'wastebin',
        name: `Afvalcontainer ${placement.name} ${SIMULATED}`,
        owner: `Gemeente Utrecht, Afval en Reiniging ${SIMULATED}`,
        contact: 'afval@utrecht.example',
        purpose: 'Empty containers when they are nearly full instead of on a fixed round. Simulated test data.',
        legalBasis: 'Public task: waste collection (Wet milieubeheer art. 10.21). The device measures the container, not people.',
        dpiaRef: DPIA,
        processesPersonalData: false,
        public: true,
        location: placement.location
      }
    }
  },
  message (device, modelMs, timeMs) {
    const { underground } = binPlacement(device.index, device.seed)
    return { channel: 'senml', body: binPack(device.sensorId, binReading(modelMs, device.citySeed, device.seed, underground), timeMs) }
  },
  sample: { field: 'fillingLevel', unit: '%', value: 42, outOfRange: 180 }
}

export const SIMULATED_KINDS: readonly SimulatedKind[] = [crowd, bikes, bins]
