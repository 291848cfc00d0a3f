import { z } from 'zod'
import { ID_PATTERN } from './topics.js'

/**
 * Register entries: sensors, zones and API tokens. The registration body is the contract
 * of `POST /v1/admin/sensors` (DESIGN.md section 3); `publicSensorSchema` is the allowlist
 * of what a resident sees, so a field it does not name cannot leak.
 */
export const SENSOR_STATUSES = ['active', 'suspended'] as const
export const ROLES = ['admin', 'enforcement', 'operations'] as const
export type Role = typeof ROLES[number]

const id = z.string().regex(ID_PATTERN, 'letters, digits, dot, dash or underscore; at most 64; no slash or wildcard')
const text = z.string().trim().min(1).max(2000)

export const pointSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180)
})

export const sensorRegistrationSchema = z.object({
  id: id.optional(),
  kind: id,
  name: text.max(200),
  owner: text.max(200),
  contact: z.string().trim().max(200).optional(),
  purpose: text,
  legalBasis: text.max(500),
  retentionDays: z.number().int().positive().max(36_500).optional(),
  dpiaRef: text.max(200),
  /** A sensor that processes personal data does not belong on this platform. */
  processesPersonalData: z.literal(false),
  public: z.boolean(),
  location: pointSchema.optional(),
  zoneId: id.optional()
})
export type SensorRegistration = z.infer<typeof sensorRegistrationSchema>

export const sensorSchema = sensorRegistrationSchema.extend({
  id,
  retentionDays: z.number().int().positive(),
  status: z.enum(SENSOR_STATUSES),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime()
})
export type Sensor = z.infer<typeof sensorSchema>

export const publicSensorSchema = sensorSchema.pick({
  id: true,
  kind: true,
  name: true,
  owner: true,
  contact: true,
  purpose: true,
  legalBasis: true,
  retentionDays: true,
  dpiaRef: true,
  processesPersonalData: true,
  public: true,
  location: true,
  zoneId: true,
  status: true,
  createdAt: true,
  updatedAt: true
})
export type PublicSensor = z.infer<typeof publicSensorSchema>

/** GeoJSON Polygon (RFC 7946 section 3.1.6), lon/lat WGS 84, closed linear rings. */
export const polygonSchema = z.object({
  type: z.literal('Polygon'),
  coordinates: z.array(
    z.array(z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)])).min(4)
      .refine((ring) => ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1], 'a linear ring must end where it starts')
  ).min(1)
})
export type Polygon = z.infer<typeof polygonSchema>

/**
 * When a zone is busy, crowded or critical: persons per m2 of walkable area (`perM2`, the
 * default) or a number of people (`people`). Levels rise in that order.
 */
export const thresholdsSchema = z.object({
  unit: z.enum(['perM2', 'people']).default('perM2'),
  busy: z.number().positive(),
  crowded: z.number().positive(),
  critical: z.number().positive()
}).refine((t) => t.busy < t.crowded && t.crowded < t.critical, 'busy < crowded < critical')

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00 to 23:59')

/**
 * When crowds may be counted in a zone, in Europe/Amsterdam local time. `to` before `from`
 * runs past midnight (20:00 to 02:00 belongs to the day it starts on).
 */
export const activePeriodSchema = z.object({
  days: z.array(z.enum(WEEKDAYS)).min(1),
  from: clock,
  to: clock
})
export type ActivePeriod = z.infer<typeof activePeriodSchema>

export const zoneInputSchema = z.object({
  id,
  name: text.max(200),
  geometry: polygonSchema,
  /** Walkable area; computed from the polygon when not given. */
  areaM2: z.number().positive().optional(),
  capacity: z.number().int().positive().optional(),
  thresholds: thresholdsSchema.optional(),
  /** Absent: counting is allowed at all times. */
  activePeriods: z.array(activePeriodSchema).min(1).optional()
})
export type ZoneInput = z.infer<typeof zoneInputSchema>

export const zoneSchema = zoneInputSchema.extend({
  areaM2: z.number().positive(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime()
})
export type Zone = z.infer<typeof zoneSchema>

/** A sensor's MQTT secret, stored as an scrypt hash only. */
export interface SensorCredential {
  sensorId: string
  /** `scrypt$N$r$p$salt$hash`, base64url parts. */
  secretHash: string
  rotatedAt: string
}

/** An API bearer token, stored as an scrypt hash; the token itself is shown once. */
export interface ApiToken {
  id: string
  name: string
  role: Role
  secretHash: string
  createdAt: string
  revokedAt?: string
}
