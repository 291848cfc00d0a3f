import { EventEmitter } from 'node:events'
import type { GridStore } from '../core/ports/grid-store.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { KindDefinition } from '../core/kind.js'
import type { Reading } from '../core/reading.js'
import type { Sensor } from '../core/sensor.js'
import { WINDOW_MS, windowStart } from '../core/windows.js'
import type { Registry } from '../registry/registry.js'
import { cellHourRow, publishedCellHours, type GridCellRow } from './grid-cells.js'
import { publicZoneCounts } from './zone-counts.js'

/**
 * What the public may see, as it happens (issue #6 item 6): readings of public fixed sensors
 * as they are stored, crowd counts per zone once a public window has closed and its lag has
 * passed (small counts suppressed as at /v1/crowd), and bicycle grid cell-hours once they
 * pass the thresholds. Per-monitor crowd counts and anything per ride never pass through. Served as SSE at /v1/live and, by the platform, on
 * MQTT under `open/v1/`.
 */
export type LiveItem =
  | { type: 'observation', kind: string, topic: string, data: { sensorId: string, kind: string, field: string, unit: string, time: string, value: number } }
  | { type: 'crowd', kind: string, topic: string, data: { zone: string, start: string, window: string, count: number | null, suppressed: boolean } }
  | { type: 'grid', kind: string, topic: string, data: GridCellRow }

export interface LiveFeedDeps {
  registry: Registry
  store: TimeSeriesStore
  grid: GridStore
}

/** Rides reach the grid when they end, up to the kind's lateness after their hour. */
const GRID_LOOKBACK_MS = 24 * 3_600_000

export class LiveFeed {
  readonly #deps: LiveFeedDeps
  readonly #feed = new EventEmitter<{ item: [LiveItem] }>()
  /** Start of the last crowd window published, per kind. */
  readonly #crowdDone = new Map<string, number>()
  /** Cell-hours sent, with their count, so a cell-hour is sent again only when it grew. */
  readonly #gridSent = new Map<string, { start: number, count: number }>()

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
    // Called for every stored message: nothing to build when nobody listens.
    if (this.#feed.listenerCount('item') === 0) return
    let sensor: Sensor | undefined
    let kind: KindDefinition | undefined
    let time = NaN
    let iso = ''
    for (const r of readings) {
      // A message's readings are mostly of one sensor and one time: looked up and formatted once.
      if (sensor?.id !== r.sensorId) sensor = this.#deps.registry.getSensor(r.sensorId)
      if (kind?.id !== r.kind) kind = this.#deps.registry.kinds.get(r.kind)
      const spec = kind?.fields[r.field]
      if (kind === undefined || sensor === undefined || spec === undefined) continue
      if (!sensor.public || kind.placement === 'mobile' || kind.privacy.counts !== undefined || spec.privacy !== 'open') continue
      if (r.time !== time) {
        time = r.time
        iso = new Date(time).toISOString()
      }
      this.#feed.emit('item', {
        type: 'observation',
        kind: kind.id,
        topic: `${kind.id}/${sensor.id}/${r.field}`,
        data: { sensorId: sensor.id, kind: kind.id, field: r.field, unit: spec.unit, time: iso, value: r.value }
      })
    }
  }

  /** Publishes newly closed crowd windows and newly published grid cell-hours. */
  async tick (now: number): Promise<void> {
    await this.#crowd(now)
    await this.#grid(now)
  }

  /**
   * Cell-hours of mobile kinds that have newly passed the thresholds (or grew since), from
   * rides that ended: the same rows /v1/grid publishes, never anything per ride.
   */
  async #grid (now: number): Promise<void> {
    for (const kind of this.#deps.registry.kinds.values()) {
      const rules = kind.privacy.grid
      if (rules === undefined) continue
      const rows = await publishedCellHours(this.#deps.grid, { kind, rules }, { field: undefined, from: now - GRID_LOOKBACK_MS, to: now, limit: 100_000 })
      for (const r of rows) {
        const key = `${kind.id}\u0000${r.cell}\u0000${r.start}\u0000${r.field}`
        if (this.#gridSent.get(key)?.count === r.count) continue
        this.#gridSent.set(key, { start: r.start, count: r.count })
        this.#feed.emit('item', { type: 'grid', kind: kind.id, topic: `${kind.id}/grid/${r.cell}/${r.field}`, data: cellHourRow(kind, r) })
      }
    }
    for (const [key, { start }] of this.#gridSent) if (start < now - GRID_LOOKBACK_MS) this.#gridSent.delete(key)
  }

  /** Each kind's newest crowd window whose lag has passed, once. */
  async #crowd (now: number): Promise<void> {
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
