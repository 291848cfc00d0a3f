import { BENCH_KINDS, benchSensors } from './bench-sensors.js'
import { GeneratorPool } from './generator-pool.js'
import type { ByKind, GeneratorStats } from './load-generator.js'
import { cpuSeconds, machineBusySeconds, RssSampler } from './proc-stats.js'
import type { Progress } from './progress.js'
import type { Scenario } from './scenarios.js'
import { STORED_KINDS } from './targets/platform-target.js'
import type { RunningTarget, TargetName, TargetReport } from './targets/target.js'

/**
 * A session: one broker process and one connected fleet, through the scenarios that share
 * that fleet, in order (connecting 1,000 sensors to the platform takes seconds of its CPU, so
 * it is done once). Per scenario: configure, start, warm up, measure, stop, drain. Then the
 * broker is stopped and asked what it kept, which must be every reading acknowledged in
 * any of the session's scenarios.
 */
export interface Session {
  target: TargetName
  /** Same sensors, mix and generator processes. */
  scenarios: Scenario[]
}

export interface Run {
  scenario: string
  target: TargetName
  session: number
  qos: 0 | 1
  /** Messages/s asked of the generators; absent at full speed. */
  offeredRate?: number
  connections: number
  /** Measured interval, mark to stop: acknowledged (QoS 1) or probe-confirmed (QoS 0) messages in it count. */
  seconds: number
  messages: number
  readings: number
  /** CPU seconds over `seconds`. */
  cpu: { broker: number, generators: number, others: number }
  /** Bytes: before the fleet connected, once connected (both per session), at the end and peak of this scenario. */
  rss: { idle: number, connected: number, end: number, peak: number }
  drain: { ms: number, inflight: number }
  /** This scenario's counts (run-long counters as differences). */
  stats: GeneratorStats
  /** Messages the platform refused during this scenario, by code. */
  rejected?: Record<string, number>
  /** The broker was gone at the end of this scenario. */
  crashed: boolean
  /** Monotonic clock (us) of the measured interval, to cut a CPU profile to it. */
  windowUs: { from: number, to: number }
}

export interface SessionResult {
  id: number
  target: TargetName
  scenarios: string[]
  connections: number
  connectSeconds: number
  /** Readings of stored kinds acknowledged (QoS 1) or confirmed handled (QoS 0) in the session. */
  expected: number
  report: TargetReport
}

export interface SessionContext {
  start: (name: TargetName) => Promise<RunningTarget>
  progress: Progress
  /** Messages/s a target reached in an earlier scenario, for relative rates. */
  rateOf: (scenario: string, target: TargetName) => number | undefined
  /** Seconds to let the broker settle before and after the fleet connects. */
  settleS: number
  /** Seconds to wait for messages in flight after a scenario before going on without them. */
  drainTimeoutS: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

export function offeredRate (s: Scenario, target: TargetName, rateOf: SessionContext['rateOf']): number | undefined {
  if (s.rate === undefined) return undefined
  if (typeof s.rate === 'number') return s.rate
  const base = rateOf(s.rate.of, s.rate.base === 'platform' ? 'platform' : target)
  return Math.round((base ?? s.fallbackRate ?? 1_000) * s.rate.factor)
}

export async function runSession (session: Session, id: number, ctx: SessionContext, onRun: (run: Run) => void): Promise<SessionResult> {
  const first = session.scenarios[0]!
  const name = session.target
  ctx.progress.update(`${name}: starting`)
  const pool = GeneratorPool.fork(first.generators)
  let target: RunningTarget | undefined
  let rss: RssSampler | undefined
  try {
    target = await ctx.start(name)
    rss = new RssSampler(target.pid)
    await sleep(ctx.settleS * 1000)
    const idle = rss.sample()
    await pool.init({ host: '127.0.0.1', port: target.port, topicRoot: 'utrecht/v1', sensors: benchSensors(first.sensors, first.mix), password: target.password })
    ctx.progress.update(`${name}: connecting ${first.sensors.toLocaleString('en')} sensors`)
    const connectStarted = Date.now()
    const { connected } = await pool.connect()
    const connectSeconds = (Date.now() - connectStarted) / 1000
    if (connected === 0) throw new Error(`no sensor could connect to ${name}`)
    // Settled, so the memory of the connections is not the garbage of connecting them.
    await sleep(ctx.settleS * 1000)
    const connectedRss = rss.sample()

    const t = target
    const cpu = (): { broker: number, generators: number, machine: number } => ({
      broker: cpuSeconds(t.pid),
      generators: pool.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
      machine: machineBusySeconds()
    })
    let before = await pool.stats()
    let expected = 0
    for (const s of session.scenarios) {
      if (!t.alive()) break
      const label = `${s.id} on ${name}`
      const rate = offeredRate(s, name, ctx.rateOf)
      await pool.configure({ qos: s.qos, window: s.window, rate: rate ?? 0, subscriber: s.subscriber === true ? t.subscriber : undefined })
      const rejectedBefore = await t.rejected?.()
      rss.peak = rss.sample()
      await pool.start()
      await ctx.progress.countdown(`${label}: warming up`, s.warmupS, () => !t.alive())
      const from = { cpu: cpu(), time: performance.now(), us: nowUs() }
      await pool.mark()
      await ctx.progress.countdown(`${label}: measuring`, s.measureS, () => !t.alive(), () => `rss ${Math.round((rss?.last ?? 0) / 2 ** 20)} MB`)
      await pool.stop()
      const to = { cpu: cpu(), time: performance.now(), us: nowUs() }
      ctx.progress.update(`${label}: waiting for messages in flight`)
      const drain = t.alive() ? await pool.drain(ctx.drainTimeoutS * 1000) : { ms: 0, inflight: NaN }
      const after = await pool.stats()
      const stats = difference(after, before)
      before = after
      for (const kind of STORED_KINDS) expected += (s.qos === 1 ? stats.ackedReadings : stats.sentReadings)[kind]
      const rejectedAfter = t.alive() ? await t.rejected?.() : undefined
      const broker = to.cpu.broker - from.cpu.broker
      const generators = to.cpu.generators - from.cpu.generators
      onRun({
        scenario: s.id,
        target: name,
        session: id,
        qos: s.qos,
        ...(rate === undefined ? {} : { offeredRate: rate }),
        connections: connected,
        seconds: (to.time - from.time) / 1000,
        messages: stats.windowMessages,
        readings: stats.windowReadings,
        cpu: { broker, generators, others: Math.max(0, to.cpu.machine - from.cpu.machine - broker - generators) },
        rss: { idle, connected: connectedRss, end: rss.sample(), peak: rss.peak },
        drain,
        stats,
        ...(rejectedAfter === undefined ? {} : { rejected: subtract(rejectedAfter, rejectedBefore ?? {}) }),
        crashed: !t.alive(),
        windowUs: { from: from.us, to: to.us }
      })
    }
    await pool.close()
    rss.stop()
    ctx.progress.update(`${name}: stopping the broker, counting what it stored`)
    const report = await t.finish()
    return { id, target: name, scenarios: session.scenarios.map((s) => s.id), connections: connected, connectSeconds, expected, report }
  } finally {
    rss?.stop()
    await pool.close()
    if (target?.alive() === true) await target.finish().catch(() => {})
  }
}

/** `after - before` for the counters that run for the fleet's life; the window's are per phase already. */
function difference (after: GeneratorStats, before: GeneratorStats): GeneratorStats {
  const kinds = (a: ByKind, b: ByKind): ByKind => Object.fromEntries(BENCH_KINDS.map((k) => [k, a[k] - b[k]])) as ByKind
  return {
    ...after,
    disconnects: after.disconnects - before.disconnects,
    sent: after.sent - before.sent,
    acked: after.acked - before.acked,
    sentReadings: kinds(after.sentReadings, before.sentReadings),
    ackedReadings: kinds(after.ackedReadings, before.ackedReadings),
    deferred: after.deferred - before.deferred,
    subscriberReceived: after.subscriberReceived - before.subscriberReceived
  }
}

function subtract (after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v !== 0))
}
