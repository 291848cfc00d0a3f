import { z } from 'zod'

/**
 * Crowd alerts for enforcement teams (issue #5). A zone has a level, derived from its people
 * count per walkable m2, and a signal state: a zone whose monitors have gone quiet says so,
 * so an empty-looking zone is never mistaken for a quiet one. Every change is an event.
 */
export const ALERT_LEVELS = ['normal', 'busy', 'crowded', 'critical'] as const
export type AlertLevel = typeof ALERT_LEVELS[number]

/** Default thresholds in persons per m2 when a zone registers none. */
export const DEFAULT_THRESHOLDS = { unit: 'perM2' as const, busy: 0.5, crowded: 0.8, critical: 1.0 }

export const ALERT_EVENT_TYPES = ['level', 'no-signal', 'signal'] as const

export const alertAckSchema = z.object({
  /** Token name of who acknowledged. */
  by: z.string(),
  tokenId: z.string(),
  at: z.iso.datetime()
})

export const alertEventSchema = z.object({
  /** Increasing integer as a string; also the SSE event id, for resuming with Last-Event-ID. */
  id: z.string(),
  zoneId: z.string(),
  type: z.enum(ALERT_EVENT_TYPES),
  level: z.enum(ALERT_LEVELS),
  previousLevel: z.enum(ALERT_LEVELS),
  /** People in the zone when it happened. */
  count: z.number(),
  /** Persons per m2 of walkable area. */
  density: z.number(),
  /** The threshold crossed, in the zone's threshold unit; null for signal events. */
  threshold: z.number().nullable(),
  /** Monitors that went quiet (no-signal) or came back (signal). */
  sensorIds: z.array(z.string()),
  time: z.iso.datetime(),
  ack: alertAckSchema.nullable()
}).meta({ id: 'AlertEvent' })
export type AlertEvent = z.infer<typeof alertEventSchema>

export const TRENDS = ['rising', 'falling', 'steady'] as const

export const zoneAlertStateSchema = z.object({
  zoneId: z.string(),
  name: z.string(),
  level: z.enum(ALERT_LEVELS),
  /** Monitors of the zone that have not reported within their kind's expected interval. */
  silentSensorIds: z.array(z.string()),
  /** Exact, real-time people count (sum over the zone's reporting monitors). */
  count: z.number(),
  density: z.number(),
  areaM2: z.number(),
  trend: z.enum(TRENDS),
  thresholds: z.object({ unit: z.enum(['perM2', 'people']), busy: z.number(), crowded: z.number(), critical: z.number() }),
  /** When the current level began. */
  levelSince: z.iso.datetime(),
  updatedAt: z.iso.datetime()
}).meta({ id: 'ZoneAlertState' })
export type ZoneAlertState = z.infer<typeof zoneAlertStateSchema>
