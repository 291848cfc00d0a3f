import { EventEmitter } from 'node:events'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Reading } from '../core/reading.js'
import { WINDOW_MS, windowStart } from '../core/windows.js'
import type { Registry } from '../registry/registry.js'
import { publicZoneCounts } from './zone-counts.js'

/**
 * What the public may see, as it happens (issue #6 item 6): readings of public fixed sensors
 * as they are stored, and crowd counts per zone once a public window has closed and its lag
 * has passed, small counts suppressed as at /v1/crowd. Per-monitor crowd counts and anything
 * of bicycles never pass through here. Served as SSE at /v1/live and, by the platform, on
 * MQTT under `open/v1/`.
 */
export type LiveItem =
  | { type: 'observation', kind: string, topic: string, data: { sensorId: string, kind: string, field: string, unit: string, time: string, value: number } }
  | { type: 'crowd', kind: string, topic: string, data: { zone: string, start: string, window: string, count: number | null, suppressed: boolean } }

export interface LiveFeedDeps {
  registry: Registry
  store: TimeSeriesStore
}

export class LiveFeed {
  readonly #deps: LiveFeedDeps
  readonly #feed = new EventEmitter<{ item: [LiveItem] }>()
  /** Start of the last crowd window published, per kind. */
  readonly #crowdDone = new Map<string, number>()

  constructor (deps: LiveFeedDeps) {
    this.#deps = deps
    this.#feed.setMaxListeners(0)
  }

  subscribe (listener: (item: LiveItem) => void): () => void {
    this.#feed.on('item', listener)
    return () => { this.#feed.off('item', listener) }
  }

  /** Stored readings; only public fixed sensors' open fields go out. */
  push (readings: readonly Reading[]): void {
    for (const r of readings) {
      const kind = this.#deps.registry.kinds.get(r.kind)
      const sensor = this.#deps.registry.getSensor(r.sensorId)
      const spec = kind?.fields[r.field]
      if (kind === undefined || sensor === undefined || spec === undefined) continue
      if (!sensor.public || kind.placement === 'mobile' || kind.privacy.counts !== undefined || spec.privacy !== 'open') continue
      this.#feed.emit('item', {
        type: 'observation',
        kind: kind.id,
        topic: `${kind.id}/${sensor.id}/${r.field}`,
        data: { sensorId: sensor.id, kind: kind.id, field: r.field, unit: spec.unit, time: new Date(r.time).toISOString(), value: r.value }
      })
    }
  }

  /** Publishes each kind's newest crowd window whose lag has passed, once. */
  async tick (now: number): Promise<void> {
    for (const kind of this.#deps.registry.kinds.values()) {
      const policy = kind.privacy.counts
      if (policy === undefined) continue
      const window = policy.minPublicWindow
      const start = windowStart(window, now - policy.publicLagS * 1000) - WINDOW_MS[window]
      if ((this.#crowdDone.get(kind.id) ?? -Infinity) >= start) continue
      this.#crowdDone.set(kind.id, start)
      const table = await publicZoneCounts(this.#deps.registry, this.#deps.store, kind, [start])
      table.zones.forEach((zone, z) => {
        const count = table.cells[0]?.[z] ?? null
        const suppressed = table.suppressed[0]?.[z] ?? false
        if (count === null && !suppressed) return
        this.#feed.emit('item', { type: 'crowd', kind: kind.id, topic: `${kind.id}/${zone}`, data: { zone, start: new Date(start).toISOString(), window, count, suppressed } })
      })
    }
  }
}
