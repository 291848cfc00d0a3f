/**
 * The error catalogue: every error that leaves the platform (on a sensor's `errors` topic,
 * as problem+json, or at boot) carries one of these stable codes. Tests assert codes, not
 * message text. `status` is the HTTP status the API answers with; 5xx details are hidden.
 */
export const ERRORS = {
  // ingest: why a reading was dropped (sent to the sensor on its errors topic)
  INGEST_ERR_MALFORMED: { status: 400, title: 'Payload is not valid JSON' },
  INGEST_ERR_SENML: { status: 400, title: 'Payload is not a valid SenML pack (RFC 8428)' },
  INGEST_ERR_FORBIDDEN_KEY: { status: 400, title: 'Payload uses a reserved key such as __proto__' },
  INGEST_ERR_UNDECLARED_FIELD: { status: 400, title: 'Field is not declared for this kind' },
  INGEST_ERR_TYPE: { status: 400, title: 'Value has the wrong type for its field' },
  INGEST_ERR_NOT_FINITE: { status: 400, title: 'Value is not a finite number' },
  INGEST_ERR_OUT_OF_RANGE: { status: 400, title: 'Value is outside the range of its field' },
  INGEST_ERR_UNIT: { status: 400, title: 'Unit does not match the unit declared for this field' },
  INGEST_ERR_TIME: { status: 400, title: 'Time is not a valid RFC 3339 string or epoch seconds' },
  INGEST_ERR_FUTURE: { status: 400, title: 'Time is too far in the future' },
  INGEST_ERR_TOO_LATE: { status: 400, title: 'Time is older than the allowed lateness of this kind' },
  INGEST_ERR_EMPTY: { status: 400, title: 'Payload holds no readings' },
  INGEST_ERR_TOO_MANY: { status: 400, title: 'Payload holds more readings than allowed per message' },
  INGEST_ERR_STATUS: { status: 400, title: 'Status must be "online" or "offline"' },
  INGEST_ERR_IDENTIFIER: { status: 400, title: 'Payload holds something that identifies a person or device' },
  INGEST_ERR_INACTIVE_PERIOD: { status: 400, title: 'Reading falls outside the zone\'s registered active periods' },
  INGEST_ERR_SENSOR: { status: 403, title: 'Sensor is not active in the register' },
  // registry
  REGISTRY_ERR_NOT_FOUND: { status: 404, title: 'Not found in the register' },
  REGISTRY_ERR_CONFLICT: { status: 409, title: 'Already registered' },
  REGISTRY_ERR_UNKNOWN_KIND: { status: 400, title: 'Unknown sensor kind' },
  REGISTRY_ERR_UNKNOWN_ZONE: { status: 400, title: 'Unknown zone' },
  REGISTRY_ERR_INCOMPLETE: { status: 400, title: 'Register entry is incomplete' },
  REGISTRY_ERR_KIND_INVALID: { status: 500, title: 'Kind definition is invalid' },
  // store
  STORE_ERR_UNAVAILABLE: { status: 503, title: 'A store is unavailable' },
  /** The store refused the data itself (a 4xx): retrying the same write cannot help. */
  STORE_ERR_REJECTED: { status: 500, title: 'A store refused the write' },
  // api
  API_ERR_VALIDATION: { status: 400, title: 'Request is invalid' },
  API_ERR_UNAUTHORIZED: { status: 401, title: 'A valid bearer token is required' },
  API_ERR_FORBIDDEN: { status: 403, title: 'Token lacks the role for this resource' },
  API_ERR_NOT_FOUND: { status: 404, title: 'No such resource' },
  API_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  API_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  // boot
  CONFIG_ERR_INVALID: { status: 500, title: 'Configuration is invalid' }
} as const satisfies Record<string, { status: number, title: string }>

export type ErrorCode = keyof typeof ERRORS

export class SensorstadError extends Error {
  readonly code: ErrorCode
  /** The offending field, where there is one (payload field, query parameter, variable). */
  readonly field: string | undefined

  constructor (code: ErrorCode, message?: string, field?: string) {
    super(message ?? ERRORS[code].title)
    this.name = 'SensorstadError'
    this.code = code
    this.field = field
  }

  get status (): number {
    return ERRORS[this.code].status
  }
}

export function isSensorstadError (err: unknown): err is SensorstadError {
  return err instanceof SensorstadError
}
