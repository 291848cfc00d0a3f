import { Aedes, type AuthenticateError, type AedesOptions } from 'aedes'
import type { Logger } from 'pino'
import type { MessageSink } from '../core/ports/message-sink.js'
import type { SensorDirectory } from '../core/ports/sensor-directory.js'
import { createHooks } from './hooks.js'

/**
 * The MQTT broker (aedes), built but not listening: `servers.ts` or a test hands it sockets.
 * Policy comes from `hooks.ts`; an authorised reading goes to the message sink, and the
 * PUBACK waits until the sink has it durably (aedes sends the PUBACK after
 * `authorizePublish` calls back, lib/handlers/publish.js).
 */
export interface BrokerDeps {
  directory: SensorDirectory
  sink: MessageSink
  topicRoot: string
  logger: Logger
  /** Seconds a socket may stay open without CONNECT. */
  connectTimeoutS: number
}

export interface SensorBroker {
  aedes: Aedes
  /** Closes a sensor's live connection (after suspend or rotate). */
  disconnectSensor (sensorId: string): void
  /** Publishes a platform message, such as a rejection on a sensor's `errors` topic. */
  publish (topic: string, payload: string | Buffer, options?: { retain?: boolean }): Promise<void>
  close (): Promise<void>
}

export async function createBroker (deps: BrokerDeps): Promise<SensorBroker> {
  const hooks = createHooks(deps.directory, deps.topicRoot)
  /** Client ids of anonymous readers of open data, while connected. */
  const anonymous = new Set<string>()
  const log = deps.logger
  const known = (clientId: string | undefined): string => clientId !== undefined && deps.directory.getSensor(clientId) !== undefined ? clientId : '(unregistered)'

  const options: AedesOptions = {
    connectTimeout: deps.connectTimeoutS * 1000,
    // Sensor ids are up to 64 characters (core/topics.ts ID_PATTERN).
    maxClientsIdLength: 64,
    maxTopicLevels: 16,

    authenticate (client, username, password, done) {
      hooks.authenticate(client.id, username, password).then((result) => {
        if (result.ok) {
          if (result.sensor === undefined) anonymous.add(client.id)
          return done(null, true)
        }
        // A client id is only logged when it is a registered sensor's: anything else a device
        // sends as its id may be a MAC or IMEI (privacy rule 10).
        log.info({ sensorId: known(client.id), reason: result.reason }, 'mqtt connect refused')
        const err = new Error(result.reason) as AuthenticateError
        err.returnCode = result.returnCode
        done(err, false)
      }, (err: unknown) => {
        log.error({ err }, 'mqtt authenticate failed')
        done(Object.assign(new Error('server error'), { returnCode: 3 }) as AuthenticateError, false)
      })
    },

    authorizePublish (client, packet, done) {
      if (client === null) return done(new Error('no client'))
      const decision = hooks.authorizePublish(client.id, packet)
      if (!decision.ok) {
        log.info({ sensorId: known(client.id), reason: decision.reason }, 'mqtt publish refused')
        return done(new Error(decision.reason))
      }
      deps.sink.accept({
        sensor: decision.sensor,
        channel: decision.topic.channel,
        payload: packet.payload as Buffer,
        qos: packet.qos,
        receivedAt: Date.now()
      }).then(() => done(null), (err: unknown) => {
        // Not handled (store unavailable): no PUBACK. Closing the connection makes the
        // sensor resend its unacknowledged messages when it reconnects [MQTT-4.4.0-1].
        log.warn({ sensorId: known(client.id), err }, 'message not stored; closing connection so the sensor resends')
        done(err instanceof Error ? err : new Error(String(err)))
      })
    },

    authorizeSubscribe (client, subscription, done) {
      if (hooks.authorizeSubscribe(client.id, subscription.topic, anonymous.has(client.id))) return done(null, subscription)
      // Not the topic: it is the client's text and may hold anything.
      log.info({ sensorId: known(client.id) }, 'mqtt subscribe refused')
      // A null subscription answers 0x80 (failure) in the SUBACK, MQTT 3.1.1 section 3.9.3.
      done(null, null)
    }
  }

  const aedes = await Aedes.createBroker(options)
  // Error messages of the protocol parser are ours to log; the client's bytes are not in them.
  aedes.on('clientDisconnect', (client) => anonymous.delete(client.id))
  aedes.on('clientError', (client, err) => log.debug({ sensorId: known(client.id), err: err.message }, 'mqtt client error'))
  aedes.on('connectionError', (client, err) => log.debug({ sensorId: known(client.id), err: err.message }, 'mqtt connection error'))

  return {
    aedes,
    disconnectSensor (sensorId) {
      const clients = (aedes as unknown as { clients: Record<string, { close (): void } | undefined> }).clients
      clients[sensorId]?.close()
    },
    publish (topic, payload, options = {}) {
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: options.retain ?? false, dup: false }, (err) => err ? reject(err) : resolve())
      })
    },
    close () {
      return new Promise((resolve) => aedes.close(() => resolve()))
    }
  }
}
