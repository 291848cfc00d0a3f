/**
 * The sensors of the query benchmark and what each one measures. History, not the fleet,
 * is what differs between the stores compared (issue #8, item 3): every store holds the same
 * sensors at the same rates, ending at the same minute, so a store with ten times the
 * readings reaches ten times further back and a query over a fixed range reads the same rows.
 *
 * The rates are chosen so that a million readings of 1,000 sensors still cover the 30 days
 * the monthly query reads (32,220 readings a day, so 1 M reaches 31 days back, 10 M 310):
 * - crowd monitors (1 in 100), one `peopleCount` a minute, as the kind expects;
 * - waste bins (the rest), `fillingLevel`, `temperature` and `battery` every 4 hours.
 */
export const MINUTE_MS = 60_000
export const DAY_MS = 86_400_000
/** Minutes between two messages of one bin, and so the number of distinct bin phases. */
export const BIN_PERIOD_MIN = 240
export const BIN_FIELDS = ['fillingLevel', 'temperature', 'battery'] as const
export const CROWD_FIELD = 'peopleCount'
export const ZONE_ID = 'bench-zone'

export interface BenchSensor {
  id: string
  kind: 'crowd' | 'wastebin'
  /** Position within its kind: sets its phase, second offset and values. */
  index: number
  fields: readonly string[]
  /** Seconds past the minute its readings carry, so not every sensor shares a timestamp. */
  offsetS: number
  /** Number of its first series (sensor x field) in the fleet; the others follow. */
  series: number
}

export interface Fleet {
  /** Series (sensor x field) in the fleet. */
  series: number
  crowd: BenchSensor[]
  bins: BenchSensor[]
  /** Bins by phase: the bins that report in minute m are `binsByPhase[m % BIN_PERIOD_MIN]`. */
  binsByPhase: BenchSensor[][]
  /**
   * Series numbers per kind, kinds in the catalogue's order (crowd, wastebin) and series by
   * sensor id and field name: the order in which the rollup job writes aggregates.
   */
  rollupOrder: number[][]
}

const pad = (n: number): string => String(n).padStart(4, '0')

/** `size` sensors: one crowd monitor in a hundred (at least one), the rest waste bins. */
export function buildFleet (size: number): Fleet {
  const crowdCount = Math.max(1, Math.round(size / 100))
  const crowd = Array.from({ length: crowdCount }, (_, i): BenchSensor => ({ id: `crowd-${pad(i)}`, kind: 'crowd', index: i, fields: [CROWD_FIELD], offsetS: (i * 7) % 60, series: i }))
  const bins = Array.from({ length: size - crowdCount }, (_, i): BenchSensor => ({ id: `bin-${pad(i)}`, kind: 'wastebin', index: i, fields: BIN_FIELDS, offsetS: (i * 13) % 60, series: crowdCount + i * BIN_FIELDS.length }))
  const binsByPhase: BenchSensor[][] = Array.from({ length: BIN_PERIOD_MIN }, () => [])
  for (const bin of bins) binsByPhase[bin.index % BIN_PERIOD_MIN]!.push(bin)
  const byName = BIN_FIELDS.map((field, f) => ({ field, f })).sort((a, b) => a.field < b.field ? -1 : 1)
  const rollupOrder = [crowd.map((c) => c.series), bins.flatMap((b) => byName.map(({ f }) => b.series + f))]
  return { series: crowdCount + bins.length * BIN_FIELDS.length, crowd, bins, binsByPhase, rollupOrder }
}

/** Readings stored in minute `minute` (epoch minutes). */
export function readingsInMinute (fleet: Fleet, minute: number): number {
  return fleet.crowd.length + fleet.binsByPhase[mod(minute, BIN_PERIOD_MIN)]!.length * BIN_FIELDS.length
}

/**
 * A deterministic value per sensor, field and time, shaped like the real thing so filters
 * select a share of rows: people follow the day, a bin fills over three days and is emptied
 * (`fillingLevel gt 50` holds about half the time), the battery drains over a year.
 */
export function valueOf (sensor: BenchSensor, field: string, time: number): number {
  const dayPhase = (time % DAY_MS) / DAY_MS
  switch (field) {
    case CROWD_FIELD:
      return Math.max(0, Math.round(60 - 50 * Math.cos(2 * Math.PI * dayPhase) + ((sensor.index * 31 + time / MINUTE_MS) % 17)))
    case 'fillingLevel':
      return Math.round((((time / 3_600_000 + sensor.index * 5) % 72) / 72) * 1000) / 10
    case 'temperature':
      return Math.round((12 + 8 * Math.sin(2 * Math.PI * (dayPhase - 0.3)) + (sensor.index % 5)) * 10) / 10
    default:
      return Math.max(5, 100 - ((time / DAY_MS + sensor.index) % 365) * 0.25)
  }
}

export function mod (n: number, m: number): number {
  return ((n % m) + m) % m
}

/** The fleet in words, for the report. */
export function describeFleet (fleet: Fleet): string {
  const perDay = fleet.crowd.length * 1440 + fleet.bins.length * BIN_FIELDS.length * (1440 / BIN_PERIOD_MIN)
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
  return `${plural(fleet.crowd.length, 'crowd monitor')} (1 reading a minute), ${plural(fleet.bins.length, 'waste bin')} (3 fields every 4 h): ${perDay.toLocaleString('en')} readings a day`
}
