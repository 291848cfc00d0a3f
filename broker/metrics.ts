import { Counter, type Registry } from 'prom-client'
import type { BrokerMetrics } from './create-broker.js'

/**
 * Broker counters for `/metrics`: sensors closed for publishing too fast (per kind, so a bad
 * firmware roll-out shows) and CONNECTs refused for too many failed attempts (per key type).
 */
export function createBrokerMetrics (registry: Registry): BrokerMetrics {
  const rateLimited = new Counter({
    name: 'sensorstad_mqtt_rate_limited_total',
    help: 'Connections closed because a sensor published over its kind\'s rate limit, per kind',
    labelNames: ['kind'] as const,
    registers: [registry]
  })
  const throttled = new Counter({
    name: 'sensorstad_mqtt_auth_throttled_total',
    help: 'CONNECTs refused after too many failed attempts, per remote IP (ip) or per user name (username)',
    labelNames: ['reason'] as const,
    registers: [registry]
  })
  return {
    rateLimited: (kind) => rateLimited.inc({ kind }),
    authThrottled: (reason) => throttled.inc({ reason })
  }
}
