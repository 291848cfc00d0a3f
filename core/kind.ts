import { z } from 'zod'
import { ID_PATTERN } from './topics.js'
import { WINDOWS } from './windows.js'

/**
 * A sensor kind is data, not code (DESIGN.md section 2): the JSON Schema of its payload,
 * the unit and privacy class of every field, its aggregation windows and retention.
 * Definitions live in `registry/kinds/*.json` and are served at `GET /v1/kinds`.
 */

/**
 * - `open`: published as measured.
 * - `location`: a coordinate; never published raw (the privacy stage coarsens it).
 * - `internal`: needed by ingest (a ride counter), never stored as a value or published.
 */
export const FIELD_PRIVACY = ['open', 'location', 'internal'] as const
export type FieldPrivacy = typeof FIELD_PRIVACY[number]

export const PLACEMENTS = ['fixed', 'mobile'] as const

export const fieldSpecSchema = z.object({
  /** SenML unit (RFC 8428 section 12.1 registry), e.g. `count`, `ug/m3`, `Cel`, `%RH`, `%EL`, `lat`. */
  unit: z.string().min(1),
  description: z.string().min(1),
  privacy: z.enum(FIELD_PRIVACY)
})
export type FieldSpec = z.infer<typeof fieldSpecSchema>

/**
 * The privacy rules of a kind (issue #3), enforced by ingest and the open-data API. Every
 * number is a default a city may tighten per kind; the register shows residents which apply.
 */
export const countsPrivacySchema = z.object({
  /** The field holding a count of people. */
  field: z.string(),
  /** Published counts below k are suppressed (with complementary suppression). */
  k: z.number().int().positive().default(15),
  /** The finest public window; finer windows are for enforcement only. */
  minPublicWindow: z.enum(WINDOWS).default('15m'),
  /** How far the public view lags the enforcement view, seconds. */
  publicLagS: z.number().int().nonnegative().default(900)
})

export const ridesPrivacySchema = z.object({
  /** The device's ride counter (privacy class `internal`); a change starts a new ride. */
  counterField: z.string(),
  latField: z.string(),
  lonField: z.string(),
  /** A silence longer than this ends a ride, seconds. */
  gapS: z.number().int().positive().default(300),
  /** Points within r of the first and last fix are dropped; r is drawn per ride in [min, max], metres. */
  trimRadiusM: z.object({ min: z.number().positive(), max: z.number().positive() }).default({ min: 200, max: 500 }),
  /**
   * A fixed random offset per device, drawn once in [min, max] metres, moves the trimmed
   * circles away from the true ends (still covering r around them), so averaging many linked
   * rides points at a decoy instead of home. { min: 0, max: 0 } turns it off.
   */
  endOffsetM: z.object({ min: z.number().nonnegative(), max: z.number().nonnegative() }).default({ min: 400, max: 600 }),
  /** Points within this many seconds of the first and last fix are dropped. */
  trimS: z.number().int().nonnegative().default(60),
  /** A ride is dropped whole when less than this distance (metres) or these points remain. */
  minLengthM: z.number().nonnegative().default(500),
  minPoints: z.number().int().positive().default(10),
  /** A ride is closed (and trimmed) when it reaches this many points, bounding memory. */
  maxPoints: z.number().int().positive().default(5_000)
})

export const gridPrivacySchema = z.object({
  /** Cell size on the Dutch national grid (RD New, EPSG:28992), metres; never finer than 100. */
  cellM: z.number().int().min(100).default(100),
  /** A cell x hour is published only when this many distinct rides... */
  minRides: z.number().int().positive().default(5),
  /** ...and this many distinct devices contributed. */
  minDevices: z.number().int().positive().default(2)
})

export const kindPrivacySchema = z.object({
  /** Refuse identifier-like strings (MAC, IMEI, e-mail, ...) anywhere in a payload. */
  refuseIdentifiers: z.boolean().default(true),
  counts: countsPrivacySchema.optional(),
  rides: ridesPrivacySchema.optional(),
  grid: gridPrivacySchema.optional()
})
export type KindPrivacy = z.infer<typeof kindPrivacySchema>

/**
 * How fast one sensor of a kind may publish: a token bucket refilled at `perMinute` messages
 * a minute holding at most `burst`, so a sensor that was offline can send its backlog.
 */
export const rateLimitSchema = z.object({
  perMinute: z.number().positive(),
  burst: z.number().int().positive()
})
export type RateLimit = z.infer<typeof rateLimitSchema>

export const kindDefinitionSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  title: z.string().min(1),
  description: z.string().min(1),
  placement: z.enum(PLACEMENTS),
  /** The FIWARE Smart Data Model the field names follow. */
  dataModel: z.string().min(1),
  fields: z.record(z.string().regex(/^[a-z][A-Za-z0-9]*$/), fieldSpecSchema),
  /** JSON Schema (draft 2020-12) of one flat reading object; compiled once by ajv. */
  payloadSchema: z.record(z.string(), z.unknown()),
  windows: z.array(z.enum(WINDOWS)).min(1),
  /** Days raw readings are kept; aggregates stay. */
  retentionDays: z.number().int().positive(),
  /** How old (seconds before now) a reading may be when it arrives. */
  allowedLatenessS: z.number().int().positive(),
  /** How often a healthy sensor of this kind reports, seconds. */
  expectedIntervalS: z.number().int().positive(),
  /** Publish limit per sensor; unset, `publishRateLimit` derives one from `expectedIntervalS`. */
  rateLimit: rateLimitSchema.optional(),
  privacy: kindPrivacySchema.default({ refuseIdentifiers: true })
})
export type KindDefinition = z.infer<typeof kindDefinitionSchema>

/**
 * The kind's publish limit, or a default of 60 times its expected rate (at least 6 a minute,
 * so a kind reporting hourly can still retry) with a burst of 100 messages. Generous on
 * purpose: it stops a runaway device, not a sensor catching up.
 */
export function publishRateLimit (kind: Pick<KindDefinition, 'rateLimit' | 'expectedIntervalS'>): RateLimit {
  return kind.rateLimit ?? { perMinute: Math.max(6, Math.ceil(3600 / kind.expectedIntervalS)), burst: 100 }
}
