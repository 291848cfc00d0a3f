/**
 * The bench's sensors: deterministic ids per kind, so every scenario, the register written
 * before the platform starts and every generator process agree on them without talking.
 * A mix says how many of every ten sensors are of each kind.
 */
export const BENCH_KINDS = ['wastebin', 'crowd', 'snuffelfiets'] as const
export type BenchKind = typeof BENCH_KINDS[number]
export type Format = 'json' | 'senml'

export interface BenchSensor {
  id: string
  kind: BenchKind
  /** Index within its kind: sensor `bench-bin-00042` is wastebin number 42. */
  index: number
  format: Format
  /** Crowd monitors only. */
  zoneId?: string
}

export type Mix = Readonly<Partial<Record<BenchKind, number>>>

/** Throughput scenarios: kinds whose readings go straight to the store (DESIGN.md section 2). */
export const FIXED_MIX: Mix = { wastebin: 7, crowd: 3 }
/** A city's share of bins, crowd monitors and snuffelfietsen; bikes go through the ride stage. */
export const CITY_MIX: Mix = { wastebin: 6, crowd: 3, snuffelfiets: 1 }

const PREFIX: Record<BenchKind, string> = { wastebin: 'bench-bin', crowd: 'bench-crowd', snuffelfiets: 'bench-bike' }
/** Crowd monitors per zone; a zone's people are the sum of its monitors' counts. */
export const MONITORS_PER_ZONE = 50
/** Every zone's capacity; crowd payloads stay below it (ingest/privacy/crowd-counts.ts). */
export const ZONE_CAPACITY = 5_000

export function zoneIdOf (crowdIndex: number): string {
  return `bench-zone-${String(Math.floor(crowdIndex / MONITORS_PER_ZONE)).padStart(3, '0')}`
}

export function benchSensor (kind: BenchKind, index: number): BenchSensor {
  const sensor: BenchSensor = {
    id: `${PREFIX[kind]}-${String(index).padStart(5, '0')}`,
    kind,
    index,
    // Half the fleet speaks each channel; crowd monitors start on the other foot from bins.
    format: (index + (kind === 'crowd' ? 1 : 0)) % 2 === 0 ? 'json' : 'senml'
  }
  if (kind === 'crowd') sensor.zoneId = zoneIdOf(index)
  return sensor
}

/**
 * The first `count` sensors of a mix, interleaved in the mix's proportions (so any prefix of
 * the list, and any split of it between generator processes, keeps the proportions).
 */
export function benchSensors (count: number, mix: Mix): BenchSensor[] {
  const pattern: BenchKind[] = []
  for (const kind of BENCH_KINDS) for (let i = 0; i < (mix[kind] ?? 0); i++) pattern.push(kind)
  if (pattern.length === 0) throw new Error('a mix needs at least one kind')
  // Spread each kind over the pattern instead of runs of one kind (7 bins then 3 monitors).
  pattern.sort((a, b) => BENCH_KINDS.indexOf(a) - BENCH_KINDS.indexOf(b))
  const spread = spreadEvenly(pattern)
  const next: Record<BenchKind, number> = { wastebin: 0, crowd: 0, snuffelfiets: 0 }
  const sensors: BenchSensor[] = []
  for (let i = 0; i < count; i++) {
    const kind = spread[i % spread.length]!
    sensors.push(benchSensor(kind, next[kind]++))
  }
  return sensors
}

/** Per kind, how many sensors the union of these fleets needs (the register's size). */
export function sensorsNeeded (fleets: ReadonlyArray<{ count: number, mix: Mix }>): Record<BenchKind, number> {
  const needed: Record<BenchKind, number> = { wastebin: 0, crowd: 0, snuffelfiets: 0 }
  for (const fleet of fleets) {
    const counts: Record<BenchKind, number> = { wastebin: 0, crowd: 0, snuffelfiets: 0 }
    for (const s of benchSensors(fleet.count, fleet.mix)) counts[s.kind]++
    for (const kind of BENCH_KINDS) needed[kind] = Math.max(needed[kind], counts[kind])
  }
  return needed
}

/** Orders a pattern so that each kind is spread out (largest remainder, like seat apportionment). */
function spreadEvenly (pattern: readonly BenchKind[]): BenchKind[] {
  const total = pattern.length
  const counts = new Map<BenchKind, number>()
  for (const kind of pattern) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  const placed = new Map<BenchKind, number>()
  const out: BenchKind[] = []
  for (let slot = 1; slot <= total; slot++) {
    let best: BenchKind | undefined
    let bestLag = -Infinity
    for (const [kind, n] of counts) {
      const lag = (n * slot) / total - (placed.get(kind) ?? 0)
      if (lag > bestLag) { bestLag = lag; best = kind }
    }
    out.push(best!)
    placed.set(best!, (placed.get(best!) ?? 0) + 1)
  }
  return out
}
