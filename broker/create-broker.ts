import { Aedes, type AuthenticateError, type AedesOptions, type Client } from 'aedes'
import type { Logger } from 'pino'
import { publishRateLimit, type KindDefinition } from '../core/kind.js'
import type { MessageSink } from '../core/ports/message-sink.js'
import type { SensorDirectory } from '../core/ports/sensor-directory.js'
import { createAttemptLimiter } from './attempt-limiter.js'
import { CONNACK, createHooks } from './hooks.js'
import { createTokenBuckets } from './token-bucket.js'

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
  /** Seconds a client's socket may stay full before the client is dropped (aedes drainTimeout). */
  drainTimeoutS?: number
  /** Kinds whose `publishRateLimit` bounds each sensor's publishes; unset, publishes are unlimited. */
  kinds?: ReadonlyMap<string, KindDefinition>
  /** Failed CONNECTs per remote IP and per user name in `windowS` seconds before CONNECTs are refused. */
  authFailures?: { max: number, windowS: number }
  metrics?: BrokerMetrics
  /** The clock of the limits, milliseconds; tests may hand in their own. */
  now?: () => number
  /**
   * Shared state of a broker cluster (issue #9, DESIGN.md section 8): `mq` routes messages
   * between the broker processes (mqemitter-redis), `persistence` keeps sessions,
   * subscriptions, retained messages, offline queues and wills where every process sees them
   * (aedes-persistence-redis). Unset: both in this process's memory. The composition root
   * makes them; the broker never imports Redis. Closing the broker closes both.
   */
  cluster?: BrokerClusterState
}

export interface BrokerClusterState {
  mq: unknown
  persistence: { destroy (): Promise<void> }
}

/** Counters for `/metrics`, kept out of the broker so it never imports prom-client's registry. */
export interface BrokerMetrics {
  rateLimited (kind: string): void
  authThrottled (reason: 'ip' | 'username'): void
}

export interface SensorBroker {
  aedes: Aedes
  /** Closes a sensor's live connection (after suspend or rotate). */
  disconnectSensor (sensorId: string): void
  /** Publishes a platform message, such as a rejection on a sensor's `errors` topic. */
  publish (topic: string, payload: string | Buffer, options?: { retain?: boolean }): Promise<void>
  close (): Promise<void>
}

/** Deliveries in progress before mqemitter queues (see the options below): never, in practice. */
const MQ_CONCURRENCY = 1_000_000

export async function createBroker (deps: BrokerDeps): Promise<SensorBroker> {
  const hooks = createHooks(deps.directory, deps.topicRoot)
  /**
   * Connections of anonymous readers of open data. Kept per client object, not per id: when a
   * reader reconnects with the same id, the old connection's disconnect must not strip the
   * new one (aedes closes the old client after authenticating the new, MQTT-3.1.4-2).
   */
  const anonymous = new WeakSet<object>()
  const log = deps.logger
  const known = (clientId: string | undefined): string => clientId !== undefined && deps.directory.getSensor(clientId) !== undefined ? clientId : '(unregistered)'
  const now = deps.now ?? Date.now
  const buckets = createTokenBuckets({ now })
  const failures = createAttemptLimiter({ max: deps.authFailures?.max ?? 10, windowMs: (deps.authFailures?.windowS ?? 60) * 1000, now })

  const options: AedesOptions = {
    // mqemitter queues messages past `concurrency` deliveries in progress and, when they
    // complete synchronously (no subscriber matches), drains that queue by recursion: under a
    // flood with a live subscriber the process dies of "Maximum call stack size exceeded"
    // (aedes' default 100; the bench's overload scenario hit it). Deliveries are bounded
    // anyway, by each connection's in-flight window and the drain timeout of slow readers.
    concurrency: MQ_CONCURRENCY,
    connectTimeout: deps.connectTimeoutS * 1000,
    drainTimeout: (deps.drainTimeoutS ?? 30) * 1000,
    // Sensor ids are up to 64 characters (core/topics.ts ID_PATTERN).
    maxClientsIdLength: 64,
    maxTopicLevels: 16,

    authenticate (client, username, password, done) {
      const keys = attemptKeys(client, username)
      const throttled = keys.find(([, key]) => failures.blocked(key))
      if (throttled !== undefined) {
        // Checked before the secret, so a guesser learns nothing more and costs no hashing.
        deps.metrics?.authThrottled(throttled[0])
        log.info({ sensorId: known(client.id), reason: `too many failed attempts per ${throttled[0]}` }, 'mqtt connect refused')
        return done(Object.assign(new Error('too many failed attempts'), { returnCode: CONNACK.NOT_AUTHORIZED }) as AuthenticateError, false)
      }
      hooks.authenticate(client.id, username, password).then((result) => {
        if (result.ok) {
          if (result.sensor === undefined) anonymous.add(client)
          return done(null, true)
        }
        for (const [, key] of keys) failures.fail(key)
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
      // In a cluster a broker also publishes the wills of a broker process that died (aedes
      // `_clearWills`): no client then, the will's sensor named in the packet. It passes the
      // same policy as if its sensor had sent it.
      const clientId = client?.id ?? (packet as { clientId?: unknown }).clientId
      if (typeof clientId !== 'string') return done(new Error('no client'))
      const decision = hooks.authorizePublish(clientId, packet)
      if (!decision.ok) {
        log.info({ sensorId: known(clientId), reason: decision.reason }, 'mqtt publish refused')
        return done(new Error(decision.reason))
      }
      const kind = deps.kinds?.get(decision.sensor.kind)
      if (kind !== undefined && !buckets.take(decision.sensor.id, publishRateLimit(kind))) {
        // Closed, not dropped: a dropped QoS 1 message would still get its PUBACK and be lost
        // to a sensor that thinks it delivered; closed, it resends after reconnecting [MQTT-4.4.0-1].
        deps.metrics?.rateLimited(kind.id)
        log.warn({ sensorId: decision.sensor.id, kind: kind.id }, 'mqtt publish over the rate limit; closing connection')
        return done(new Error('publish rate limit'))
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
        log.warn({ sensorId: known(clientId), err }, 'message not stored; closing connection so the sensor resends')
        done(err instanceof Error ? err : new Error(String(err)))
      })
    },

    authorizeSubscribe (client, subscription, done) {
      if (hooks.authorizeSubscribe(client.id, subscription.topic, anonymous.has(client))) return done(null, subscription)
      // Not the topic: it is the client's text and may hold anything.
      log.info({ sensorId: known(client.id) }, 'mqtt subscribe refused')
      // A null subscription answers 0x80 (failure) in the SUBACK, MQTT 3.1.1 section 3.9.3.
      done(null, null)
    }
  }

  if (deps.cluster !== undefined) {
    // A given emitter keeps the concurrency it was made with; the same reason applies.
    Object.assign(deps.cluster.mq as object, { concurrency: MQ_CONCURRENCY })
    Object.assign(options, { mq: deps.cluster.mq, persistence: deps.cluster.persistence })
  }
  const aedes = await Aedes.createBroker(options)
  // aedes emits 'error' when clearing a dead broker's wills fails; unheard, it would end the process.
  // Its typings list client events only; aedes is a plain EventEmitter underneath.
  ;(aedes as unknown as NodeJS.EventEmitter).on('error', (err: unknown) => log.error({ err }, 'mqtt broker error'))
  // Error messages of the protocol parser are ours to log; the client's bytes are not in them.
  aedes.on('clientError', (client, err) => log.debug({ sensorId: known(client.id), err: err.message }, 'mqtt client error'))
  aedes.on('connectionError', (client, err) => log.debug({ sensorId: known(client.id), err: err.message }, 'mqtt connection error'))

  return {
    aedes,
    disconnectSensor (sensorId) {
      const clients = (aedes as unknown as { clients: Record<string, { close (): void } | undefined> }).clients
      clients[sensorId]?.close()
      // The session goes too: subscriptions (and with them anything that would be queued for
      // a clean: false reconnect) belong to the revoked credential, not to the next one.
      const { persistence } = aedes as unknown as { persistence: { cleanSubscriptions (client: { id: string }): Promise<void> } }
      persistence.cleanSubscriptions({ id: sensorId })
        .catch((err: unknown) => log.warn({ err, sensorId }, 'could not discard a revoked session'))
    },
    publish (topic, payload, options = {}) {
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: options.retain ?? false, dup: false }, (err) => err ? reject(err) : resolve())
      })
    },
    async close () {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      // After aedes.close: closing clients may still store retained wills.
      await deps.cluster?.persistence.destroy().catch((err: unknown) => log.warn({ err }, 'closing the broker\'s shared persistence failed'))
    }
  }
}

/**
 * Keys that count failed CONNECTs: the remote IP (the socket's, or the WebSocket upgrade's)
 * and the user name. A client behind a shared NAT or proxy shares its IP's allowance.
 */
function attemptKeys (client: Client, username: string | undefined): Array<['ip' | 'username', string]> {
  const keys: Array<['ip' | 'username', string]> = []
  const ip = (client.conn as { remoteAddress?: string }).remoteAddress ?? client.req?.socket.remoteAddress
  // IPv4 on a dual-stack socket arrives as ::ffff:a.b.c.d; one address, one allowance.
  if (ip !== undefined) keys.push(['ip', `ip:${ip.replace(/^::ffff:/, '')}`])
  if (username !== undefined) keys.push(['username', `user:${username}`])
  return keys
}
