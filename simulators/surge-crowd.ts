import { crowdPack } from './crowd.js'
import type { SimulatedKind } from './models.js'
import { monitorShare, surgeCount, surgeThresholds, type SurgeProfile } from './surge.js'

/**
 * Binds the surge (surge.ts) to the crowd kind for `--mode surge`: zones registered with
 * thresholds in people, so critical lies below their capacity, and counts that follow the
 * surge of each monitor's zone, split between the monitors that share it.
 */

/** One reading a second: a surge of 20 s shows as about 20 points on the dashboard. */
export const SURGE_RATE = 1

/** The kind, registering its zones with surge thresholds (a zone without a capacity keeps the platform's defaults). */
export function withSurgeZones (kind: SimulatedKind): SimulatedKind {
  return {
    ...kind,
    registration (index, seed) {
      const registration = kind.registration(index, seed)
      const zone = registration.zone
      if (zone?.capacity === undefined) return registration
      return { ...registration, zone: { ...zone, thresholds: surgeThresholds(zone.capacity) } }
    }
  }
}

/** The zone a device of `kind` at `index` counts in, as the kind registers it. */
export function zoneIdOf (kind: SimulatedKind, index: number, seed: number): string | undefined {
  return kind.registration(index, seed).zone?.id
}

export interface SurgePlan {
  /** Model time the surge starts, epoch ms (the fleet's model start). */
  startMs: number
  durationMs: number
  /** By zone id. */
  profiles: ReadonlyMap<string, SurgeProfile>
  /** By device index: its zone, how many monitors of this run count there, and its place among them. */
  slots: ReadonlyMap<number, { zoneId: string, monitors: number, rank: number }>
}

/** Ranks the devices (by index) within each zone, so monitors sharing a zone split its count. */
export function surgeSlots (devices: ReadonlyArray<{ index: number, zoneId: string }>): Map<number, { zoneId: string, monitors: number, rank: number }> {
  const byZone = new Map<string, number[]>()
  for (const d of devices) byZone.set(d.zoneId, [...(byZone.get(d.zoneId) ?? []), d.index])
  const slots = new Map<number, { zoneId: string, monitors: number, rank: number }>()
  for (const [zoneId, indexes] of byZone) {
    indexes.sort((a, b) => a - b).forEach((index, rank) => slots.set(index, { zoneId, monitors: indexes.length, rank }))
  }
  return slots
}

/** The crowd kind sending the surge: one reading a second unless --rate says otherwise; nothing from a device without a plan. */
export function surgeCrowd (kind: SimulatedKind, plan: SurgePlan): SimulatedKind {
  return {
    ...kind,
    defaultRate: SURGE_RATE,
    message (device, modelMs, timeMs) {
      const slot = plan.slots.get(device.index)
      const profile = slot === undefined ? undefined : plan.profiles.get(slot.zoneId)
      if (slot === undefined || profile === undefined) return null
      const total = surgeCount(profile, (modelMs - plan.startMs) / plan.durationMs)
      return { channel: 'senml', body: crowdPack(device.sensorId, monitorShare(total, slot.monitors, slot.rank), timeMs) }
    }
  }
}
