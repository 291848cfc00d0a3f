import type { SensorDirectory } from '../core/ports/sensor-directory.js'
import type { Sensor } from '../core/sensor.js'
import { parseTopic, formatTopic, type SensorTopic } from '../core/topics.js'
import { validMqttString } from './mqtt-strings.js'

/**
 * The broker's whole policy, as small async functions that deny by default. They know the
 * topic grammar and the register, never payloads. `create-broker.ts` adapts them to aedes'
 * callbacks in one place.
 */

/** CONNACK return codes, MQTT 3.1.1 section 3.2.2.3. */
export const CONNACK = { BAD_CLIENT_ID: 2, BAD_CREDENTIALS: 4, NOT_AUTHORIZED: 5 } as const

/** A sensor, or an anonymous reader of open data (`sensor` undefined). */
export type AuthenticateResult = { ok: true, sensor: Sensor | undefined } | { ok: false, returnCode: number, reason: string }

/**
 * Anonymous clients read open data only: they connect without user name and password, with
 * a client id starting with this prefix (which no sensor id may have), and may subscribe
 * only under `open/`. They can publish nothing.
 */
export const ANONYMOUS_PREFIX = 'open-'
export const OPEN_ROOT = 'open/'

export interface PublishPacketLike {
  topic: string
  retain: boolean
}

export type PublishDecision = { ok: true, sensor: Sensor, topic: SensorTopic } | { ok: false, reason: string }

export interface Hooks {
  authenticate (clientId: string, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateResult>
  authorizePublish (clientId: string, packet: PublishPacketLike): PublishDecision
  authorizeSubscribe (clientId: string, topic: string, anonymous?: boolean): boolean
}

/** Channels a sensor may publish on; `errors` is the platform's, `status` its presence. */
const PUBLISHABLE = new Set(['senml', 'json', 'status'])

export function createHooks (directory: SensorDirectory, topicRoot: string): Hooks {
  return {
    async authenticate (clientId, username, password) {
      // Checked before anything else, the anonymous prefix included: `open-` followed by a NUL
      // or bytes that are not UTF-8 would otherwise pass as a reader (MQTT 3.1.1 section 1.5.3).
      if (!validMqttString(clientId)) return { ok: false, returnCode: CONNACK.BAD_CLIENT_ID, reason: 'client id empty or not a clean UTF-8 string' }
      if (username !== undefined && !validMqttString(username)) {
        return { ok: false, returnCode: CONNACK.BAD_CREDENTIALS, reason: 'user name not a clean UTF-8 string' }
      }
      if (username === undefined && password === undefined && clientId.startsWith(ANONYMOUS_PREFIX)) {
        return { ok: true, sensor: undefined }
      }
      // A sensor is one identity: clientId, username and register id are the same string.
      if (username === undefined || password === undefined) {
        return { ok: false, returnCode: CONNACK.BAD_CREDENTIALS, reason: 'username and password required' }
      }
      if (clientId !== username) {
        return { ok: false, returnCode: CONNACK.BAD_CLIENT_ID, reason: 'clientId must equal username' }
      }
      const sensor = await directory.authenticateSensor(username, password.toString('utf8'))
      if (sensor === undefined) {
        return { ok: false, returnCode: CONNACK.BAD_CREDENTIALS, reason: 'unknown sensor, wrong secret or not active' }
      }
      return { ok: true, sensor }
    },

    authorizePublish (clientId, packet) {
      if (!validMqttString(packet.topic)) return { ok: false, reason: 'topic not a clean UTF-8 string' }
      const sensor = directory.getSensor(clientId)
      if (sensor === undefined || sensor.status !== 'active') return { ok: false, reason: 'sensor not active' }
      const topic = parseTopic(topicRoot, packet.topic)
      if (topic === null || topic.sensorId !== sensor.id || topic.kind !== sensor.kind) {
        return { ok: false, reason: 'topic outside the sensor\'s own tree' }
      }
      if (!PUBLISHABLE.has(topic.channel)) return { ok: false, reason: `channel ${topic.channel} is not for sensors` }
      // Readings are never retained: a retained reading would be replayed as new data.
      if (packet.retain && topic.channel !== 'status') return { ok: false, reason: 'retain only on status' }
      return { ok: true, sensor, topic }
    },

    authorizeSubscribe (clientId, topic, anonymous = false) {
      if (!validMqttString(topic)) return false
      if (anonymous) return topic.startsWith(OPEN_ROOT) && topic.length > OPEN_ROOT.length
      const sensor = directory.getSensor(clientId)
      if (sensor === undefined || sensor.status !== 'active') return false
      return topic === formatTopic(topicRoot, { kind: sensor.kind, sensorId: sensor.id, channel: 'errors' })
    }
  }
}
