import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * Ingest counters for `/metrics`. Rejections are counted per sensor and code so an operator
 * can tell one broken device from a bad firmware roll-out.
 */
export interface IngestMetrics {
  accepted (sensorId: string, kind: string, readings: number): void
  rejected (sensorId: string, kind: string, code: string): void
  /** Readings or fixes dropped by a privacy rule that is not an error (ride trimming). */
  privacyDropped (kind: string, rule: string, n: number): void
}

export function createIngestMetrics (registry: Registry, pending: () => number): IngestMetrics {
  const accepted = new Counter({
    name: 'sensorstad_readings_accepted_total',
    help: 'Readings durably stored, per sensor',
    labelNames: ['sensor', 'kind'] as const,
    registers: [registry]
  })
  const rejected = new Counter({
    name: 'sensorstad_messages_rejected_total',
    help: 'Messages dropped by ingest, per sensor and reason code',
    labelNames: ['sensor', 'kind', 'code'] as const,
    registers: [registry]
  })
  const dropped = new Counter({
    name: 'sensorstad_privacy_dropped_total',
    help: 'Fixes dropped by a privacy rule (ride trimming, short rides), per kind and rule',
    labelNames: ['kind', 'rule'] as const,
    registers: [registry]
  })
  // eslint-disable-next-line no-new
  new Gauge({
    name: 'sensorstad_ingest_pending_readings',
    help: 'Readings waiting for the store',
    registers: [registry],
    collect () { this.set(pending()) }
  })
  // One labelled child per sensor, looked up once: inc({labels}) hashes the label set on every
  // call, which is per message on the hot path. The map is bounded by the register.
  const acceptedOf = new Map<string, { inc (n: number): void }>()
  return {
    accepted: (sensor, kind, n) => {
      let child = acceptedOf.get(sensor)
      if (child === undefined) acceptedOf.set(sensor, child = accepted.labels({ sensor, kind }))
      child.inc(n)
    },
    rejected: (sensor, kind, code) => rejected.inc({ sensor, kind, code }),
    privacyDropped: (kind, rule, n) => dropped.inc({ kind, rule }, n)
  }
}
