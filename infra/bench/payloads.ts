import type { BenchSensor } from './bench-sensors.js'

/**
 * Realistic payloads of the three kinds on both reading channels (DESIGN.md section 3), as
 * the bytes a device sends. Every value is inside the kind's schema (registry/kinds/*.json)
 * and its unit is the declared one, so the platform accepts every message; crowd counts stay
 * below the zone capacity (ingest/privacy/crowd-counts.ts).
 *
 * With `timed`, the payload carries its time as epoch seconds with milliseconds in a fixed
 * width of TIME_WIDTH characters (`1767600000.123`), which the sender overwrites in place just
 * before each send (`patchTime`): every message of a sensor then has its own time, as a
 * device's would, so no two readings share a (sensor, field, time) key. Untimed payloads take
 * the platform's receive time.
 */
export const TIME_WIDTH = 14
const TIME_PLACEHOLDER = '0'.repeat(10) + '.000'

export interface Payload {
  bytes: Buffer
  /** Byte offset of the time digits in `bytes`; -1 when untimed. */
  timeOffset: number
  /** Readings the platform makes of it (one per field). */
  readings: number
}

/** Deterministic values in [0, 1) per sensor and variant, so runs send the same data. */
function unit (sensorIndex: number, variant: number, salt: number): number {
  let h = (sensorIndex * 2_654_435_761 + variant * 40_503 + salt * 9_973) >>> 0
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0
  return ((h ^ (h >>> 15)) >>> 0) / 4_294_967_296
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits

type Field = [name: string, unit: string, value: number]

function fields (sensor: BenchSensor, variant: number): Field[] {
  const u = (salt: number): number => unit(sensor.index, variant, salt)
  if (sensor.kind === 'wastebin') {
    return [
      ['fillingLevel', '%', round(u(1) * 100, 1)],
      ['temperature', 'Cel', round(4 + u(2) * 20, 1)],
      ['battery', '%EL', Math.round(40 + u(3) * 60)]
    ]
  }
  if (sensor.kind === 'crowd') return [['peopleCount', 'count', Math.floor(u(1) * 200)]]
  // A bike riding east through the centre: the fix moves ~30 m per variant.
  const lat = 52.0907 + (sensor.index % 50) * 0.0004 + u(4) * 0.0001
  const lon = 5.1000 + variant * 0.00045
  return [
    ['pm1', 'ug/m3', round(2 + u(1) * 8, 1)],
    ['pm25', 'ug/m3', round(5 + u(2) * 15, 1)],
    ['pm10', 'ug/m3', round(10 + u(3) * 25, 1)],
    ['temperature', 'Cel', round(8 + u(5) * 15, 1)],
    ['relativeHumidity', '%RH', round(50 + u(6) * 45, 1)],
    ['lat', 'lat', round(lat, 6)],
    ['lon', 'lon', round(Math.min(lon, 7), 6)],
    ['trip', 'count', 1 + (sensor.index % 400)]
  ]
}

/** The payload of `sensor`'s message number `variant` (values differ per variant). */
export function payloadOf (sensor: BenchSensor, variant: number, timed: boolean): Payload {
  const list = fields(sensor, variant)
  let text: string
  if (sensor.format === 'json') {
    const body = list.map(([name, , value]) => `"${name}":${value}`)
    if (timed) body.push(`"time":${TIME_PLACEHOLDER}`)
    text = `{${body.join(',')}}`
  } else {
    // RFC 8428 section 5: base name `{sensorId}:` and base time on the first record, as the
    // simulators send it (simulators/senml.ts).
    text = '[' + list.map(([name, u, value], i) => {
      const base = i === 0 ? `"bn":"${sensor.id}:",${timed ? `"bt":${TIME_PLACEHOLDER},` : ''}` : ''
      return `{${base}"n":"${name}","u":"${u}","v":${value}}`
    }).join(',') + ']'
  }
  const bytes = Buffer.from(text, 'utf8')
  return { bytes, timeOffset: timed ? text.indexOf(TIME_PLACEHOLDER) : -1, readings: list.length }
}

const DOT = 0x2e
const ZERO = 0x30

/** Writes `ms` (epoch milliseconds, below 10^13) as `SSSSSSSSSS.mmm` at `offset`. */
export function patchTime (buf: Buffer, offset: number, ms: number): void {
  let rest = Math.floor(ms)
  for (let i = TIME_WIDTH - 1; i >= 0; i--) {
    if (i === TIME_WIDTH - 4) { buf[offset + i] = DOT; continue }
    buf[offset + i] = ZERO + (rest % 10)
    rest = Math.floor(rest / 10)
  }
}
