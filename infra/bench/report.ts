import { LatencyHistogram } from './latency-histogram.js'
import type { Run, SessionResult } from './run-session.js'
import { STORED_KINDS } from './targets/platform-target.js'
import type { TargetName } from './targets/target.js'

/**
 * From raw runs to what the issue asks for: rates, PUBACK latency, broker CPU per reading,
 * memory, the ratio platform / bare aedes in the same scenario, the check (per platform
 * process) that every acknowledged reading was stored, and a verdict per target of issue #8.
 */
export interface Row {
  scenario: string
  target: TargetName
  offeredRate?: number
  connections: number
  messagesPerS: number
  readingsPerS: number
  p50Ms?: number
  p99Ms?: number
  cpuUsPerMessage: number
  cpuUsPerReading: number
  brokerCores: number
  generatorCores: number
  /** CPU other processes on the machine used meanwhile, in cores: the noise. */
  otherCores: number
  rssMB: number
  peakMB: number
  /** RSS with the fleet connected minus RSS before, per connection; only from 1,000 connections (below, start-up noise dominates). */
  kbPerConnection?: number
  /** This target's messages/s over bare aedes' in the same scenario. */
  vsAedes?: number
  /** This target's CPU per reading over bare aedes'. */
  cpuVsAedes?: number
  rejected?: number
  disconnects: number
  /** Rate mode: sends given up because every window was full (the broker held PUBACKs back). */
  deferred: number
  /** Messages still in flight when the bench stopped waiting for them. */
  unacknowledged: number
  crashed: boolean
  /** How the broker process of this run ended, when not cleanly (`code 1`: it died, for instance on closing). */
  uncleanExit?: string
  subscriberReceived: number
}

export interface Verdict {
  target: string
  value: string
  pass: boolean | undefined
}

const round = (x: number, digits = 0): number => Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : NaN

export function toRow (run: Run, session?: SessionResult): Row {
  const { stats } = run
  const latency = new LatencyHistogram(stats.latency.counts, stats.latency.maxUs)
  const qos1 = latency.count > 0
  const row: Row = {
    scenario: run.scenario,
    target: run.target,
    ...(run.offeredRate === undefined ? {} : { offeredRate: run.offeredRate }),
    connections: run.connections,
    messagesPerS: round(run.messages / run.seconds),
    readingsPerS: round(run.readings / run.seconds),
    ...(qos1 ? { p50Ms: round(latency.quantile(0.5) / 1000, 1), p99Ms: round(latency.quantile(0.99) / 1000, 1) } : {}),
    cpuUsPerMessage: round(run.cpu.broker / run.messages * 1e6, 1),
    cpuUsPerReading: round(run.cpu.broker / run.readings * 1e6, 1),
    brokerCores: round(run.cpu.broker / run.seconds, 2),
    generatorCores: round(run.cpu.generators / run.seconds, 2),
    otherCores: round(run.cpu.others / run.seconds, 2),
    rssMB: round(run.rss.end / 2 ** 20),
    peakMB: round(run.rss.peak / 2 ** 20),
    ...(run.connections >= 1_000 ? { kbPerConnection: round((run.rss.connected - run.rss.idle) / run.connections / 1024, 1) } : {}),
    disconnects: stats.disconnects,
    deferred: stats.deferred,
    unacknowledged: Number.isFinite(run.drain.inflight) ? run.drain.inflight : 0,
    crashed: run.crashed,
    subscriberReceived: stats.subscriberReceived
  }
  const report = session?.report
  if (report !== undefined && (report.crashed || report.exit !== 'code 0')) row.uncleanExit = `${report.exit}${report.error === undefined ? '' : `: ${report.error}`}`
  if (run.rejected !== undefined) row.rejected = Object.values(run.rejected).reduce((a, b) => a + b, 0)
  return row
}

export interface StoredCheck {
  target: TargetName
  scenarios: string[]
  /** Readings of stored kinds acknowledged (QoS 1) or confirmed handled (QoS 0). */
  expected: number
  stored: number
  missing: number
  crashed: boolean
}

/**
 * Per platform process: every acknowledged reading of a kind that goes to the time-series
 * store must be there (snuffelfiets fixes go to the ride stage and leave only grid cells).
 * DuckDB keeps a row per write, InfluxDB a point per (sensor, field, time): the bench gives
 * every QoS 1 message its own time, so both counts must reach the number acknowledged.
 */
export function storedChecks (sessions: readonly SessionResult[]): StoredCheck[] {
  return sessions.filter((s) => s.report.stored !== undefined).map((s) => {
    const stored = s.target === 'platform-influx'
      ? (s.report.storedKeys ?? 0)
      : STORED_KINDS.reduce((n, kind) => n + (s.report.stored?.[kind] ?? 0), 0)
    return { target: s.target, scenarios: s.scenarios, expected: s.expected, stored, missing: Math.max(0, s.expected - stored), crashed: s.report.crashed }
  })
}

/** Rows with their ratio to bare aedes in the same scenario (InfluxDB runs compare with the headline). */
export function withRatios (rows: Row[]): Row[] {
  const aedes = new Map(rows.filter((r) => r.target === 'aedes').map((r) => [r.scenario, r]))
  return rows.map((row) => {
    const base = aedes.get(row.scenario) ?? (row.target === 'platform-influx' ? aedes.get('qos1-c1000') : undefined)
    if (base === undefined || row.target === 'aedes') return row
    return { ...row, vsAedes: round(row.messagesPerS / base.messagesPerS, 2), cpuVsAedes: round(row.cpuUsPerReading / base.cpuUsPerReading, 1) }
  })
}

/** The targets of issue #8, judged from the platform's rows and stored checks. */
export function verdicts (rows: readonly Row[], checks: readonly StoredCheck[]): Verdict[] {
  const find = (scenario: string, target: TargetName = 'platform'): Row | undefined => rows.find((r) => r.scenario === scenario && r.target === target)
  const out: Verdict[] = []
  const judge = (target: string, value: number | undefined, pass: (v: number) => boolean, show: (v: number) => string): void => {
    out.push(value === undefined || !Number.isFinite(value) ? { target, value: 'not run', pass: undefined } : { target, value: show(value), pass: pass(value) })
  }
  const headline = find('qos1-c1000')
  judge('QoS 1 ingest, 1,000 connections: >= 0.7 of bare aedes (stretch 0.85)', headline?.vsAedes, (v) => v >= 0.7, (v) => `${v.toFixed(2)} of aedes`)
  judge('  the same on InfluxDB', find('influx-c1000', 'platform-influx')?.vsAedes, (v) => v >= 0.7, (v) => `${v.toFixed(2)} of aedes`)
  judge('PUBACK p99 < 50 ms at half the maximum throughput', find('qos1-c1000-half')?.p99Ms, (v) => v < 50, (v) => `${v} ms`)

  const sweep = rows.filter((r) => r.target === 'platform' && r.scenario.startsWith('city-'))
    .sort((a, b) => a.connections - b.connections)
  const biggest = sweep.at(-1)
  const smallest = sweep[0]
  const at = biggest === undefined ? '' : ` (measured at ${biggest.connections.toLocaleString('en')})`
  judge(`< 25 KB RSS per connection at 10,000 sensors${at}`, biggest?.kbPerConnection, (v) => v < 25, (v) => `${v} KB`)
  judge(`cost per reading at 10,000 sensors <= 1.3 x at 100${at}`,
    biggest !== undefined && smallest !== undefined && biggest !== smallest ? biggest.cpuUsPerReading / smallest.cpuUsPerReading : undefined,
    (v) => v <= 1.3, (v) => `${v.toFixed(2)} x (${smallest?.cpuUsPerReading} -> ${biggest?.cpuUsPerReading} us)`)

  const overload = find('overload')
  const crashed = overload?.crashed === true || overload?.uncleanExit !== undefined
  judge('overload: throughput >= 0.8 of sustainable, no crash',
    overload === undefined || headline === undefined ? undefined : overload.messagesPerS / headline.messagesPerS,
    (v) => v >= 0.8 && !crashed, (v) => `${v.toFixed(2)} of ${headline?.messagesPerS.toLocaleString('en')} msg/s${crashed ? `, CRASHED (${overload?.uncleanExit ?? 'during the run'})` : ''}`)

  const missing = checks.reduce((n, c) => n + c.missing, 0)
  judge('every acknowledged reading stored', checks.length === 0 ? undefined : missing, (v) => v === 0,
    (v) => v === 0 ? `all ${checks.reduce((n, c) => n + c.expected, 0).toLocaleString('en')}` : `${v.toLocaleString('en')} missing`)
  const platformRows = rows.filter((r) => r.rejected !== undefined)
  const rejected = platformRows.reduce((n, r) => n + (r.rejected ?? 0), 0)
  judge('no message rejected (a benchmark of rejections is worthless)', platformRows.length === 0 ? undefined : rejected, (v) => v === 0, (v) => `${v.toLocaleString('en')} rejected`)
  return out
}
