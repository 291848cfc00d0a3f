import { readFileSync } from 'node:fs'
import type { LiveFeed } from '../api/live-feed.js'
import { createBroker, type SensorBroker } from '../broker/create-broker.js'
import { createBrokerMetrics } from '../broker/metrics.js'
import { listenMqtt, type MqttServers } from '../broker/servers.js'
import type { Config } from '../core/config.js'
import { SensorstadError } from '../core/errors.js'
import type { Reading } from '../core/reading.js'
import { Ingest } from '../ingest/ingest.js'
import { createIngestMetrics } from '../ingest/metrics.js'
import { COUNTS } from './channels.js'
import type { ProcessContext } from './process-context.js'
import { schedule } from './schedule.js'

/**
 * The broker role: MQTT listeners, the broker and ingest for the sensors connected to this
 * process. With REDIS_URL the broker shares sessions, subscriptions, retained messages and
 * routing with the other broker processes, so a sensor may connect to any of them. What it
 * stores goes out as news: crowd counts on the bus for the alert engine, and open data
 * through the live feed.
 */
export interface BrokerRole {
  ingest: Ingest
  broker: SensorBroker
  servers: MqttServers
}

export async function startBrokerRole (ctx: ProcessContext, live: LiveFeed): Promise<BrokerRole> {
  const { config, logger, metrics, closers } = ctx
  const { kinds, registry, store, grid } = ctx.stores
  const { bus } = ctx.cluster
  // The field the alert engine counts, per kind: every other reading stays in this process.
  const countField = new Map([...kinds.values()].flatMap((k) => k.privacy.counts === undefined ? [] : [[k.id, k.privacy.counts.field] as const]))
  const isCount = (r: Reading): boolean => countField.get(r.kind) === r.field

  // Ingest tells sensors about rejections through the broker, which is built after it.
  const brokerRef: { current?: SensorBroker } = {}
  const ingest: Ingest = new Ingest({
    kinds,
    store,
    grid,
    zoneOf: (id) => registry.getZone(id),
    topicRoot: config.MQTT_TOPIC_ROOT,
    notify: (topic, payload) => brokerRef.current?.publish(topic, payload) ?? Promise.resolve(),
    metrics: createIngestMetrics(metrics, () => ingest.pending),
    batchMax: config.INGEST_BATCH_MAX,
    flushMs: config.INGEST_FLUSH_MS,
    maxPending: config.INGEST_MAX_PENDING,
    maxReadingsPerMessage: config.INGEST_MAX_READINGS_PER_MESSAGE,
    maxFutureS: config.INGEST_MAX_FUTURE_S,
    checkThread: config.INGEST_CHECK_THREAD,
    onCheckThreadError: (err) => logger.error({ err }, 'ingest check thread failed; starting a new one'),
    onWriteError: (err, attempt) => logger.error({ err, attempt }, 'store write failed; holding PUBACKs and retrying'),
    onStored: (readings) => {
      live.push(readings)
      // Called per message, whose readings are all of one sensor and kind.
      if (!countField.has(readings[0]!.kind)) return
      const counts = readings.filter(isCount)
      // Stored already: a count the bus loses is superseded by the monitor's next one.
      if (counts.length > 0) bus.publish(COUNTS, counts).catch((err: unknown) => logger.warn({ err }, 'crowd counts not announced to the alert engine'))
    }
  })
  closers.add(() => ingest.close())
  await ingest.start()

  const broker = await createBroker({
    directory: registry,
    sink: ingest,
    topicRoot: config.MQTT_TOPIC_ROOT,
    logger: logger.child({ component: 'broker' }),
    connectTimeoutS: config.MQTT_CONNECT_TIMEOUT_S,
    drainTimeoutS: config.MQTT_DRAIN_TIMEOUT_S,
    kinds: config.MQTT_PUBLISH_RATE_LIMIT ? kinds : undefined,
    authFailures: { max: config.MQTT_AUTH_FAILURES_PER_MIN, windowS: config.MQTT_AUTH_WINDOW_S },
    metrics: createBrokerMetrics(metrics),
    cluster: await ctx.cluster.brokerState()
  })
  brokerRef.current = broker
  closers.add(() => broker.close())
  // Suspensions and rotations made in any process reach this one's register (registry.ts).
  registry.on('sensor-revoked', (id) => broker.disconnectSensor(id))

  const servers = await listenMqtt(broker, {
    host: config.MQTT_HOST,
    port: config.MQTT_PORT,
    wsPort: config.MQTT_WS_PORT,
    maxPacketBytes: config.MQTT_MAX_PACKET_BYTES,
    tls: config.MQTT_TLS_PORT === undefined
      ? undefined
      : { host: config.MQTT_TLS_HOST, port: config.MQTT_TLS_PORT, cert: readPem(config, 'MQTT_TLS_CERT_PATH'), key: readPem(config, 'MQTT_TLS_KEY_PATH') },
    logger: logger.child({ component: 'mqtt' })
  })
  closers.add(() => servers.close())
  // Shutdown runs this before the sockets close: no new connections, the readings already
  // taken are written and their PUBACKs sent, so a SIGTERM leaves nothing to resend.
  closers.add(async () => {
    servers.stopAccepting()
    // aedes reads a connection's next packet only once the previous one is acknowledged, so
    // messages a sensor sent just before the signal still wait in the socket: a short grace
    // without linger lets them in and acknowledged, instead of refused and sent again.
    ingest.hurry()
    await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))
    await ingest.close()
    await servers.drain(1_000)
  })
  // Rides end when their device goes quiet; this closes, trims and stores the rides this
  // process holds (each broker process those of its own sensors).
  const sweep = schedule('RIDE_SWEEP', '*/15 * * * * *', 'ride-sweep', () => ingest.sweep(), logger)
  closers.add(() => sweep.destroy())
  return { ingest, broker, servers }
}

/**
 * A broker without listeners, for a jobs process that has open data to publish on MQTT (crowd
 * windows, grid cell-hours): it joins the broker cluster through Redis, so what it publishes
 * reaches the subscribers of every broker process, once. It takes no connections; the only
 * sensor messages it can be handed are the wills of a dead broker process's sensors, which
 * every cluster member may publish (aedes `_clearWills`): published, with nothing to store.
 */
/** How long a stopping broker keeps taking what its connected sensors already sent. */
const SHUTDOWN_GRACE_MS = 200

export async function startPublishingBroker (ctx: ProcessContext): Promise<SensorBroker | undefined> {
  const cluster = await ctx.cluster.brokerState()
  if (cluster === undefined) return undefined
  const broker = await createBroker({
    directory: ctx.stores.registry,
    sink: { accept: async () => {} },
    topicRoot: ctx.config.MQTT_TOPIC_ROOT,
    logger: ctx.logger.child({ component: 'broker' }),
    connectTimeoutS: ctx.config.MQTT_CONNECT_TIMEOUT_S,
    cluster
  })
  ctx.closers.add(() => broker.close())
  return broker
}

/** A certificate or key file; a missing or unreadable file stops the boot naming its variable. */
function readPem (config: Config, variable: 'MQTT_TLS_CERT_PATH' | 'MQTT_TLS_KEY_PATH'): Buffer {
  const path = config[variable] ?? ''
  try {
    return readFileSync(path)
  } catch (err) {
    throw new SensorstadError('CONFIG_ERR_INVALID', `${variable}=${JSON.stringify(path)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, variable)
  }
}
