import { CITY_MIX, FIXED_MIX, type Mix } from './bench-sensors.js'
import type { TargetName } from './targets/target.js'

/**
 * The scenarios of issue #8. Every scenario runs against each of its targets in turn (never
 * two at once: the machine has two cores), with the same sensors, packets and generator.
 * Scenarios with the same fleet (sensors, mix, generator processes) run one after another on
 * one broker process (run-session.ts). `--quick` keeps the shape with fewer and shorter runs.
 */
export interface Scenario {
  id: string
  title: string
  sensors: number
  mix: Mix
  qos: 0 | 1
  /** QoS 1 messages in flight per connection at most. */
  window: number
  /**
   * Messages per second; absent is full speed. Relative: `factor` times the messages/s that
   * scenario `of` reached on the platform (`base: 'platform'`, the same offered load for
   * every target) or on each target itself (`base: 'own'`).
   */
  rate?: number | { of: string, factor: number, base: 'platform' | 'own' }
  /** Used when the `of` scenario was not run. */
  fallbackRate?: number
  /** A live subscriber (platform: anonymous on `open/v1/#`; bare brokers: `#`). */
  subscriber?: boolean
  targets: TargetName[]
  warmupS: number
  measureS: number
  generators: number
}

const BROKERS: TargetName[] = ['platform', 'aedes', 'mosquitto']

export function scenarios (quick: boolean): Scenario[] {
  const timing = (warmupS: number, measureS: number): Pick<Scenario, 'warmupS' | 'measureS'> =>
    quick ? { warmupS: 1, measureS: Math.min(measureS, 3) } : { warmupS, measureS }
  const headline = { sensors: 1_000, mix: FIXED_MIX, qos: 1, window: 20, generators: 2 } as const
  const sweep = quick ? [100, 1_000] : [100, 1_000, 10_000]
  return [
    {
      id: 'qos1-c10',
      title: 'QoS 1, 10 connections, full speed (gateways: 500 in flight each)',
      ...headline,
      sensors: 10,
      window: 500,
      generators: 1,
      targets: quick ? ['platform', 'aedes'] : BROKERS,
      ...timing(3, 15)
    },
    {
      id: 'qos1-c1000',
      title: 'QoS 1, 1,000 connections, full speed (20 in flight each): the headline',
      ...headline,
      targets: BROKERS,
      ...timing(3, 15)
    },
    {
      id: 'qos0-c1000',
      title: 'QoS 0, 1,000 connections, full speed (a QoS 1 probe every 20 messages bounds what is unhandled)',
      ...headline,
      qos: 0,
      window: 40,
      targets: quick ? [] : BROKERS,
      ...timing(3, 15)
    },
    {
      id: 'qos1-c1000-half',
      title: 'QoS 1, 1,000 connections at half the platform\'s maximum: latency',
      ...headline,
      rate: { of: 'qos1-c1000', factor: 0.5, base: 'platform' },
      fallbackRate: 2_000,
      targets: quick ? ['platform'] : ['platform', 'aedes'],
      ...timing(3, 15)
    },
    ...sweep.map((n): Scenario => ({
      id: `city-${n}`,
      title: `${n.toLocaleString('en')} sensors of a city (bins, crowd monitors, snuffelfietsen), 1,000 msg/s in all` +
        (n === 10_000 ? ': one reading per 10 s each' : ''),
      sensors: n,
      mix: CITY_MIX,
      qos: 1,
      window: 5,
      rate: 1_000,
      generators: n > 1_000 ? 2 : 1,
      targets: quick ? ['platform', 'aedes'] : BROKERS,
      ...timing(5, 15)
    })),
    {
      id: 'overload',
      title: 'Overload: twice the sustainable rate with a live subscriber (1,000 connections, 100 in flight each)',
      ...headline,
      window: 100,
      rate: { of: 'qos1-c1000', factor: 2, base: 'own' },
      fallbackRate: 10_000,
      subscriber: true,
      targets: ['platform', 'aedes'],
      ...(quick ? { warmupS: 1, measureS: 5 } : { warmupS: 3, measureS: 60 })
    },
    {
      id: 'influx-c1000',
      title: 'QoS 1, 1,000 connections, full speed, InfluxDB as the store',
      ...headline,
      targets: ['platform-influx'],
      ...timing(3, 15)
    }
  ]
}
