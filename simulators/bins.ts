import { offsetM, type LatLon } from './geo.js'
import { DAY_MS, HOUR_MS, utrechtTime } from './local-time.js'
import { round1, round6 } from './round.js'
import { gaussianHash, unitHash } from './random.js'
import { senmlPack } from './senml.js'
import { ambientAt } from './weather.js'

/**
 * Smart waste containers in the city centre. Each fills at its own pace, faster by day and
 * on Saturday, and is emptied once it passes its collection threshold; its battery drains
 * over years and is swapped near empty. Every value is a pure function of (seed, time): the
 * filling level is the running total of a weekly fill-rate table, taken modulo the threshold.
 */
export interface BinSite {
  name: string
  lat: number
  lon: number
  /** Underground containers (ondergrondse containers) sit in cool earth; street bins in the sun. */
  underground: boolean
}

export const BIN_SITES: readonly BinSite[] = [
  { name: 'Neude', lat: 52.0931, lon: 5.1184, underground: true },
  { name: 'Domplein', lat: 52.0907, lon: 5.1218, underground: false },
  { name: 'Oudegracht, Bakkerbrug', lat: 52.0917, lon: 5.1196, underground: false },
  { name: 'Ganzenmarkt', lat: 52.0912, lon: 5.1205, underground: false },
  { name: 'Mariaplaats', lat: 52.0887, lon: 5.1185, underground: true },
  { name: 'Lijnmarkt', lat: 52.0920, lon: 5.1180, underground: false },
  { name: 'Janskerkhof', lat: 52.0933, lon: 5.1215, underground: true },
  { name: 'Vredenburg', lat: 52.0924, lon: 5.1152, underground: true },
  { name: 'Steenweg', lat: 52.0905, lon: 5.1190, underground: false },
  { name: 'Lange Elisabethstraat', lat: 52.0910, lon: 5.1160, underground: false },
  { name: 'Twijnstraat', lat: 52.0855, lon: 5.1225, underground: true },
  { name: 'Nobelstraat', lat: 52.0923, lon: 5.1240, underground: false },
  { name: 'Voorstraat', lat: 52.0945, lon: 5.1215, underground: true },
  { name: 'Lucasbolwerk', lat: 52.0916, lon: 5.1270, underground: false },
  { name: 'Ledig Erf', lat: 52.0835, lon: 5.1240, underground: true }
]

export interface BinPlacement {
  name: string
  location: LatLon
  underground: boolean
}

/** Bin `index`: the sites in turn, then more bins 15-40 m from each site. */
export function binPlacement (index: number, binSeed: number): BinPlacement {
  const site = BIN_SITES[index % BIN_SITES.length]!
  const round = Math.floor(index / BIN_SITES.length)
  if (round === 0) return { name: site.name, location: { lat: site.lat, lon: site.lon }, underground: site.underground }
  const angle = 2 * Math.PI * unitHash(binSeed, 0xe1)
  const distance = 15 + 25 * unitHash(binSeed, 0xe2)
  const at = offsetM(site, distance * Math.cos(angle), distance * Math.sin(angle))
  return { name: `${site.name} ${round + 1}`, location: { lat: round6(at.lat), lon: round6(at.lon) }, underground: site.underground }
}

const HOURS_PER_WEEK = 168
/** Monday 1970-01-05 00:00 CET. Bins keep a fixed CET week: an hour's shift at DST does not matter for rubbish. */
const WEEK_ORIGIN_MS = 4 * DAY_MS - HOUR_MS
const WEEK_MS = 7 * DAY_MS

/** Relative fill rate in hour `hourOfWeek` (0 is Monday 00:00-01:00): quiet nights, busy days, Saturday shoppers, a calmer Sunday. */
function fillWeight (hourOfWeek: number): number {
  const day = Math.floor(hourOfWeek / 24)
  const hour = hourOfWeek % 24
  if (hour < 7) return 0.1
  if (hour >= 22) return 0.2
  const daily = day === 5 ? 1.8 : day === 6 ? 0.8 : 1
  return hour >= 19 ? 0.6 * daily : daily
}

interface FillModel {
  /** Percent of the container per hour, for each hour of the week. */
  rates: number[]
  /** prefix[h]: percent filled from Monday 00:00 to the start of hour h. */
  prefix: number[]
  /** Collection threshold, percent: the container is emptied when it reaches it. */
  threshold: number
  /** Fill already in the container at the origin of time, percent. */
  phase: number
}

const models = new Map<number, FillModel>()

function fillModel (binSeed: number): FillModel {
  const cached = models.get(binSeed)
  if (cached !== undefined) return cached
  // A busy daytime hour adds 0.5-1.8 %: emptied one to three times a week.
  const base = 0.5 + 1.3 * unitHash(binSeed, 0xf1)
  const rates = Array.from({ length: HOURS_PER_WEEK }, (_, h) => base * fillWeight(h))
  const prefix = [0]
  for (const rate of rates) prefix.push(prefix.at(-1)! + rate)
  const threshold = 80 + 12 * unitHash(binSeed, 0xf2)
  const model = { rates, prefix, threshold, phase: threshold * unitHash(binSeed, 0xf3) }
  models.set(binSeed, model)
  return model
}

/** Percent put into the container since the origin of time (grows without bound). */
function cumulativeFill (model: FillModel, ms: number): number {
  const shifted = ms - WEEK_ORIGIN_MS
  const week = Math.floor(shifted / WEEK_MS)
  const inWeekH = (shifted - week * WEEK_MS) / HOUR_MS
  const hour = Math.floor(inWeekH)
  return week * model.prefix[HOURS_PER_WEEK]! + model.prefix[hour]! + (inWeekH - hour) * model.rates[hour]!
}

/** True filling level at `ms`, percent: rises, and drops to about 0 when the threshold is reached. */
export function fillingLevelAt (binSeed: number, ms: number): number {
  const model = fillModel(binSeed)
  const level = (cumulativeFill(model, ms) + model.phase) % model.threshold
  return level < 0 ? level + model.threshold : level
}

/** Collection threshold of this bin, percent. */
export function collectionThreshold (binSeed: number): number {
  return fillModel(binSeed).threshold
}

/** One wastebin reading in the kind's field names. */
export interface BinReading {
  /** % */
  fillingLevel: number
  /** Cel */
  temperature: number
  /** %EL */
  battery: number
}

/** Batteries are swapped at 15 %: the level runs from 100 down to 15 and starts again. */
const BATTERY_SWAP_AT = 15

export function binReading (ms: number, citySeed: number, binSeed: number, underground: boolean): BinReading {
  // Ultrasonic level sensors read within about 1 % of the container height.
  const measured = fillingLevelAt(binSeed, ms) + 0.8 * gaussianHash(binSeed, Math.floor(ms / 60_000), 0xf4)
  const air = ambientAt(ms, citySeed)
  const hour = utrechtTime(ms).hour
  const sun = Math.max(0, Math.sin((Math.PI * (hour - 9)) / 9)) // 09:00-18:00
  // Rotting waste runs a degree or two above the air; underground the earth pulls towards 11 Cel.
  const temperature = underground
    ? air.temperature + 1.5 - 0.4 * (air.temperature - 11)
    : air.temperature + 1.5 + 4 * sun
  const installedMs = Date.UTC(2024, 0, 1) + Math.floor(365 * unitHash(binSeed, 0xf5)) * DAY_MS
  const drainPerDay = 0.04 + 0.08 * unitHash(binSeed, 0xf6) // %, so a battery lasts two to six years
  const used = ((ms - installedMs) / DAY_MS) * drainPerDay
  const span = 100 - BATTERY_SWAP_AT
  return {
    fillingLevel: round1(Math.min(100, Math.max(0, measured))),
    temperature: round1(temperature),
    battery: round1(100 - (((used % span) + span) % span))
  }
}

/** The SenML pack a smart container publishes. */
export function binPack (sensorId: string, reading: BinReading, timeMs: number): string {
  return senmlPack(sensorId, timeMs, [
    { n: 'fillingLevel', u: '%', v: reading.fillingLevel },
    { n: 'temperature', u: 'Cel', v: reading.temperature },
    { n: 'battery', u: '%EL', v: reading.battery }
  ])
}
