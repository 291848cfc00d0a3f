import { loadKinds } from '../../registry/kind-catalog.js'
import type { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry } from '../../registry/registry.js'

/** What the Registry unit tests share: the kinds, a clock moved by hand, an opener. */
export const kinds = loadKinds()

const START = '2024-06-01T12:00:00.000Z'
let clock = new Date(START)
export const now = (): Date => clock
/** Moves the clock on and returns the new time as text. */
export const tick = (ms = 60_000): string => {
  clock = new Date(clock.getTime() + ms)
  return clock.toISOString()
}
export const resetClock = (): void => { clock = new Date(START) }

/** A Registry on `store` at the test clock; every 'sensor-revoked' id goes into `revoked`. */
export async function openRegistry (store: MemoryRegistryStore, revoked: string[], bootstrapAdminToken?: string): Promise<Registry> {
  const opened = await Registry.open(store, kinds, { now, bootstrapAdminToken })
  opened.on('sensor-revoked', (id) => revoked.push(id))
  return opened
}

/** A token or secret with one character changed. */
export function tamper (token: string): string {
  const last = token.at(-1)
  return token.slice(0, -1) + (last === 'A' ? 'B' : 'A')
}
