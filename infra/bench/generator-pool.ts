import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BENCH_KINDS } from './bench-sensors.js'
import { LatencyHistogram } from './latency-histogram.js'
import type { FleetConfig, GeneratorStats, PhaseConfig } from './load-generator.js'

/**
 * Several generator processes driven as one: the sensors and the rate are split evenly, each
 * step is sent to all and awaited, and their statistics are added up. Forking (a few hundred
 * ms of tsx per process) is separate from `init`, so it can overlap the broker's start.
 */
const WORKER = fileURLToPath(new URL('./generator-worker.ts', import.meta.url))

interface Reply { id: number, ok: boolean, result?: unknown, error?: string }

class Worker {
  readonly child: ChildProcess
  #nextId = 1
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()

  constructor () {
    this.child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.on('message', (reply: Reply) => {
      const waiter = this.#waiting.get(reply.id)
      this.#waiting.delete(reply.id)
      if (reply.ok) waiter?.resolve(reply.result)
      else waiter?.reject(new Error(`generator ${this.child.pid}: ${reply.error}`))
    })
    this.child.on('exit', (code, signal) => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error(`generator exited (${code ?? signal})`))
      this.#waiting.clear()
    })
  }

  call (cmd: string, arg?: unknown): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
      this.child.send({ id, cmd, arg })
    })
  }
}

export class GeneratorPool {
  readonly #workers: Worker[]

  private constructor (workers: Worker[]) {
    this.#workers = workers
  }

  static fork (processes: number): GeneratorPool {
    return new GeneratorPool(Array.from({ length: Math.max(1, processes) }, () => new Worker()))
  }

  /** Hands each process its share of the fleet (sensors dealt round-robin). */
  async init (fleet: FleetConfig): Promise<void> {
    const n = this.#workers.length
    await Promise.all(this.#workers.map((w, i) => w.call('init', { ...fleet, sensors: fleet.sensors.filter((_, k) => k % n === i) } satisfies FleetConfig)))
  }

  /** The next phase; the rate is split evenly and the subscriber goes to the first process. */
  async configure (phase: PhaseConfig): Promise<void> {
    const n = this.#workers.length
    await Promise.all(this.#workers.map((w, i) => w.call('configure', {
      ...phase,
      rate: phase.rate / n,
      subscriber: i === 0 ? phase.subscriber : undefined
    } satisfies PhaseConfig)))
  }

  get pids (): number[] {
    return this.#workers.map((w) => w.child.pid!).filter((pid) => pid !== undefined)
  }

  async connect (): Promise<{ connected: number, failed: number }> {
    const results = await this.#all('connect') as Array<{ connected: number, failed: number }>
    return { connected: sum(results.map((r) => r.connected)), failed: sum(results.map((r) => r.failed)) }
  }

  async start (): Promise<void> { await this.#all('start') }
  async mark (): Promise<void> { await this.#all('mark') }
  async stop (): Promise<void> { await this.#all('stop') }

  async drain (timeoutMs: number): Promise<{ ms: number, inflight: number }> {
    const results = await this.#all('drain', timeoutMs) as Array<{ ms: number, inflight: number }>
    return { ms: Math.max(...results.map((r) => r.ms)), inflight: sum(results.map((r) => r.inflight)) }
  }

  async stats (): Promise<GeneratorStats> {
    return mergeStats(await this.#all('stats') as GeneratorStats[])
  }

  async close (): Promise<void> {
    await Promise.all(this.#workers.map(async (w) => {
      if (w.child.exitCode !== null) return
      const exited = new Promise((resolve) => w.child.once('exit', resolve))
      await w.call('close').catch(() => {})
      const timer = setTimeout(() => w.child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }))
  }

  #all (cmd: string, arg?: unknown): Promise<unknown[]> {
    return Promise.all(this.#workers.map((w) => w.call(cmd, arg)))
  }
}

export function mergeStats (all: readonly GeneratorStats[]): GeneratorStats {
  const latency = new LatencyHistogram()
  for (const s of all) latency.merge(new LatencyHistogram(s.latency.counts, s.latency.maxUs))
  const byKind = (pick: (s: GeneratorStats) => Record<string, number>): GeneratorStats['sentReadings'] =>
    Object.fromEntries(BENCH_KINDS.map((k) => [k, sum(all.map((s) => pick(s)[k] ?? 0))])) as GeneratorStats['sentReadings']
  const refused: Record<string, number> = {}
  for (const s of all) for (const [code, n] of Object.entries(s.refused)) refused[code] = (refused[code] ?? 0) + n
  return {
    connections: sum(all.map((s) => s.connections)),
    connectFailures: sum(all.map((s) => s.connectFailures)),
    refused,
    disconnects: sum(all.map((s) => s.disconnects)),
    sent: sum(all.map((s) => s.sent)),
    acked: sum(all.map((s) => s.acked)),
    sentReadings: byKind((s) => s.sentReadings),
    ackedReadings: byKind((s) => s.ackedReadings),
    windowMessages: sum(all.map((s) => s.windowMessages)),
    windowReadings: sum(all.map((s) => s.windowReadings)),
    inflight: sum(all.map((s) => s.inflight)),
    latency: latency.toJSON(),
    deferred: sum(all.map((s) => s.deferred)),
    subscriberReceived: sum(all.map((s) => s.subscriberReceived))
  }
}

function sum (values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0)
}
