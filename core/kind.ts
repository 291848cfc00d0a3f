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
  expectedIntervalS: z.number().int().positive()
})
export type KindDefinition = z.infer<typeof kindDefinitionSchema>
