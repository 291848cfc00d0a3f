import type { READING_CHANNELS } from '../core/topics.js'

/** A payload ready for a sensor's reading channel (`{root}/{kind}/{sensorId}/{channel}`). */
export interface Outgoing {
  channel: typeof READING_CHANNELS[number]
  body: string
}
