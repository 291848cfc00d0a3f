/**
 * The MQTT topic grammar: `{root}/{kind}/{sensorId}/{channel}` (DESIGN.md section 3).
 * `root` may itself hold slashes (`utrecht/v1`); kind and sensor id are single levels.
 */
export const CHANNELS = ['senml', 'json', 'status', 'errors'] as const
export type Channel = typeof CHANNELS[number]

/** Channels a sensor publishes readings on; `status` is its presence, `errors` is ours. */
export const READING_CHANNELS = ['senml', 'json'] as const satisfies readonly Channel[]

export interface SensorTopic {
  kind: string
  sensorId: string
  channel: Channel
}

/** Sensor ids and kind names: one topic level of plain characters, no MQTT wildcards. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function formatTopic (root: string, t: SensorTopic): string {
  return `${root}/${t.kind}/${t.sensorId}/${t.channel}`
}

export function parseTopic (root: string, topic: string): SensorTopic | null {
  if (!topic.startsWith(root + '/')) return null
  const parts = topic.slice(root.length + 1).split('/')
  if (parts.length !== 3) return null
  const [kind, sensorId, channel] = parts as [string, string, string]
  if (!ID_PATTERN.test(kind) || !ID_PATTERN.test(sensorId)) return null
  if (!(CHANNELS as readonly string[]).includes(channel)) return null
  return { kind, sensorId, channel: channel as Channel }
}
