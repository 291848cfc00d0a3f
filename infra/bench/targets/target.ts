import { spawn, type ChildProcess } from 'node:child_process'
import { BENCH_SECRET } from '../provision.js'

/**
 * A broker under test in its own process: the platform, bare aedes or bare mosquitto. The
 * bench measures its pid from /proc, drives it through `port`, and calls `finish` once the
 * load is over: that stops it and says what it kept.
 */
export const TARGET_NAMES = ['platform', 'platform-influx', 'aedes', 'mosquitto'] as const
export type TargetName = typeof TARGET_NAMES[number]

export interface RunningTarget {
  name: TargetName
  port: number
  pid: number
  /** Sent by every bench sensor; bare brokers ignore it. */
  password: string | undefined
  /** The live subscriber of the overload scenario. */
  subscriber: { clientId: string, filter: string }
  /** False once the process has exited. */
  alive (): boolean
  /** Platform only: messages refused so far, by error code (its /metrics). */
  rejected?: () => Promise<Record<string, number>>
  /** Fetches its counters, stops it (SIGTERM) and counts what it stored. */
  finish (): Promise<TargetReport>
}

export interface TargetReport {
  /** Exited before `finish` asked it to: a crash. */
  crashed: boolean
  /** How it ended: `code 0` is a clean stop. */
  exit: string
  /** The error it died of, when its output names one. */
  error?: string
  /** Messages the platform refused, by error code (its /metrics). */
  rejected?: Record<string, number>
  /** Readings stored, by kind, counted in the store after the platform stopped. */
  stored?: Record<string, number>
  /** Distinct (sensor, field, time) keys among them. */
  storedKeys?: number
  /** CPU profile written by the process (--cpu-prof). */
  profile?: string
  notes: string[]
}

export interface ChildHandle {
  child: ChildProcess
  exited: Promise<string>
  output (): string
}

/** Spawns a process and resolves once its output matches `ready` (with the match). */
export async function spawnUntil (command: string, args: string[], options: { env?: NodeJS.ProcessEnv, cwd?: string }, ready: RegExp, timeoutMs = 30_000): Promise<ChildHandle & { match: RegExpExecArray }> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)))
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command}: not ready in ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs)
    const onData = (chunk: Buffer): void => {
      // Kept short: a long run's warnings must not grow the bench's memory.
      output = (output + chunk.toString()).slice(-20_000)
      const m = ready.exec(output)
      if (m !== null) { clearTimeout(timer); resolve(m) }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('error', (err) => { clearTimeout(timer); reject(err) })
    exited.then((how) => { clearTimeout(timer); reject(new Error(`${command} exited (${how}) before it was ready:\n${output.slice(-2000)}`)) }, () => {})
  })
  return { child, exited, output: () => output, match }
}

/** The first line of `output` that names an error (`RangeError: ...`), for a report. */
export function errorLine (output: string): string | undefined {
  return /^\s*(?:Uncaught )?([A-Z]\w*Error\b.*)$/m.exec(output)?.[1]?.trim()
}

/**
 * A bare broker (aedes, mosquitto) running as `handle`: anonymous, with the bench's live
 * subscriber, and when stopped it reports how it ended and, if not cleanly, why; `cleanup`
 * runs after it stopped.
 */
export function bareTarget (name: TargetName, port: number, handle: ChildHandle, cleanup: () => void = () => {}): RunningTarget {
  let finished = false
  return {
    name,
    port,
    pid: handle.child.pid!,
    password: BENCH_SECRET,
    subscriber: { clientId: 'bench-subscriber', filter: '#' },
    alive: () => handle.child.exitCode === null && handle.child.signalCode === null,
    async finish () {
      const crashed = !finished && (handle.child.exitCode !== null || handle.child.signalCode !== null)
      finished = true
      const exit = await stopChild(handle, 5_000)
      cleanup()
      const clean = !crashed && exit === 'code 0'
      const error = clean ? undefined : errorLine(handle.output())
      return { crashed, exit, ...(error === undefined ? {} : { error }), notes: clean ? [] : [handle.output().slice(-1500)] }
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
export async function stopChild (handle: ChildHandle, graceMs = 20_000): Promise<string> {
  const { child } = handle
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  const how = await handle.exited
  clearTimeout(timer)
  return how
}
