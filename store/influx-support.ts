import { SensorstadError } from '../core/errors.js'

/**
 * Tag values on the line protocol cannot hold a newline at all, and a trailing backslash
 * escapes what follows; node-influx escapes commas, spaces and equals signs but not those.
 * So `%`, `\` and control characters are percent-encoded before, and decoded after: a
 * sensor id like `A,zone2=B x=1` or one with a newline stays one tag value.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is encoded
const UNSAFE = /[%\\\u0000-\u001f\u007f]/g

export function encodeTag (value: string): string {
  return value.replace(UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)
}

export function decodeTag (value: string): string {
  return value.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/**
 * A 4xx means the server refused this request itself: not retried (STORE_ERR_REJECTED).
 * A 5xx, a timeout or a network error may pass: retried with backoff (STORE_ERR_UNAVAILABLE).
 */
export function influxError (err: unknown, what: string): SensorstadError {
  if (err instanceof SensorstadError) return err
  const status = (err as { res?: { statusCode?: number } }).res?.statusCode
  const message = err instanceof Error ? err.message : String(err)
  if (status !== undefined && status >= 400 && status < 500) {
    return new SensorstadError('STORE_ERR_REJECTED', `${what}: ${message}`)
  }
  return new SensorstadError('STORE_ERR_UNAVAILABLE', `${what}: ${message}`)
}
