import { SensorstadError } from '../../core/errors.js'
import { isTimeMs, type Decoder } from './decoder.js'
import { parseRfc3339 } from './rfc3339.js'
import { isJsonObject, parseJson, type JsonValue } from './safe-json.js'

/**
 * The `json` channel (DESIGN.md section 3): one flat JSON object of the kind's field names and
 * an optional `time`, as an RFC 3339 string or epoch seconds. It carries no units. Nested
 * values pass through so that the validator refuses them against the kind's schema.
 */
export const decodeJson: Decoder = (payload) => {
  const body = parseJson(payload)
  if (!isJsonObject(body)) {
    throw new SensorstadError('INGEST_ERR_MALFORMED', 'The json channel takes one JSON object of field names and values')
  }
  const values: Record<string, unknown> = Object.create(null)
  let time: number | undefined
  for (const [key, value] of Object.entries(body)) {
    if (key === 'time') time = parseTime(value)
    else values[key] = value
  }
  return [{ time, values, units: Object.create(null) }]
}

function parseTime (value: JsonValue): number {
  const ms = typeof value === 'string'
    ? parseRfc3339(value)
    : typeof value === 'number' ? Math.round(value * 1000) : undefined
  if (ms === undefined || !isTimeMs(ms)) {
    throw new SensorstadError('INGEST_ERR_TIME', '"time" must be an RFC 3339 date-time with offset or epoch seconds', 'time')
  }
  return ms
}
