import type { LiveItem } from '../api/live-feed.js'
import { busChannel } from '../core/ports/event-bus.js'
import type { Reading } from '../core/reading.js'
import type { AlertFeedItem } from '../ingest/alerts/alert-engine.js'

/**
 * What crosses between the processes of a deployment, one channel per kind of news. Each
 * carries only what its subscribers need, never a raw payload or a withheld field.
 */

/**
 * People counts of crowd monitors as stored, from the broker process that ingested them to
 * the alert engine (the jobs leader and its standbys). Other kinds' readings stay home.
 */
export const COUNTS = busChannel<Reading[]>('counts')

/**
 * Open data as it happens, from the process that made it (a broker process for readings,
 * the jobs leader for crowd windows and grid cell-hours) to every API process's /v1/live.
 * Only what LiveFeed lets out: public fixed sensors' open fields and published aggregates.
 */
export const LIVE = busChannel<LiveItem[]>('live')

/**
 * Crowd alerts: new events and zone states from the jobs leader, and acknowledgements
 * (an event with `ack` set) from the API process that took them, to every API process's
 * /v1/alerts/stream.
 */
export const ALERTS = busChannel<AlertFeedItem>('alerts')
