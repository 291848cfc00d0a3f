import { z } from 'zod'
import { ERRORS } from '../core/errors.js'
import { AGGREGATE_FNS } from '../core/reading.js'
import { WINDOWS } from '../core/windows.js'

/**
 * Shapes of the HTTP API that are not domain objects. Domain shapes (sensor, zone, kind)
 * come from core/. Response schemas are allowlists: Fastify serialises only what they name.
 */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  code: z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...Array<keyof typeof ERRORS>]),
  field: z.string().optional(),
  instance: z.string().optional()
}).meta({
  id: 'Problem',
  description: 'RFC 9457 problem details with a stable `code`',
  examples: [{ type: 'urn:sensorstad:problem:REGISTRY_ERR_NOT_FOUND', title: 'Not found in the register', status: 404, detail: 'No public sensor bin-9; see GET /v1/sensors', code: 'REGISTRY_ERR_NOT_FOUND', field: 'sensor', instance: '/v1/observations?sensor=bin-9' }]
})

/** A time in a query string: RFC 3339, or epoch seconds. */
export const timeParam = z.string().transform((value, ctx) => {
  const ms = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value)
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'use RFC 3339 (2026-11-30T12:00:00Z) or epoch seconds' })
    return z.NEVER
  }
  return ms
})

export const observationQuerySchema = z.object({
  sensor: z.string().optional().describe('Sensor id, or several separated by commas'),
  kind: z.string().optional(),
  field: z.string().optional(),
  from: timeParam.optional().describe('Start (inclusive); default 24 hours before `to`'),
  to: timeParam.optional().describe('End (exclusive); default now'),
  window: z.enum(WINDOWS).optional().describe('Aggregate per window; omit for raw readings'),
  fn: z.enum(AGGREGATE_FNS).default('mean').describe('Aggregate function, with `window`'),
  format: z.enum(['json', 'csv']).default('json'),
  limit: z.coerce.number().int().positive().max(100_000).default(10_000)
})

export const observationSchema = z.object({
  sensorId: z.string(),
  kind: z.string(),
  field: z.string(),
  unit: z.string(),
  time: z.string().describe('RFC 3339; for an aggregate, the start of its window'),
  value: z.number(),
  window: z.enum(WINDOWS).optional(),
  fn: z.enum(AGGREGATE_FNS).optional(),
  count: z.number().int().optional().describe('Readings in the window')
}).meta({
  id: 'Observation',
  examples: [
    { sensorId: 'bin-neude-1', kind: 'wastebin', field: 'fillingLevel', unit: '%', time: '2026-11-30T08:00:00.000Z', value: 64 },
    { sensorId: 'bin-neude-1', kind: 'wastebin', field: 'fillingLevel', unit: '%', time: '2026-11-30T08:00:00.000Z', value: 61.5, window: '1h', fn: 'mean', count: 4 }
  ]
})
export type Observation = z.infer<typeof observationSchema>

export const observationListSchema = z.object({
  data: z.array(observationSchema),
  /** True when `limit` cut the answer short; narrow the range or page by time. */
  truncated: z.boolean()
})
