import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/**
 * CPU and memory of another process from Linux's /proc (proc(5)): CPU is utime + stime of
 * /proc/<pid>/stat, all threads together (DuckDB's and libuv's too), in clock ticks of
 * 1/CLK_TCK s; memory is VmRSS of /proc/<pid>/status.
 */
const CLK_TCK = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
  const n = Number(out.stdout?.trim())
  return Number.isFinite(n) && n > 0 ? n : 100
})()

/** CPU seconds used so far by `pid`, or NaN when it is gone. */
export function cpuSeconds (pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 2 (comm) may hold spaces and parentheses: count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15, that is 11 and 12 after comm and state.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
  } catch {
    return NaN
  }
}

/** Resident set size of `pid` in bytes, or NaN when it is gone. */
export function rssBytes (pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? NaN : Number(match[1]) * 1024
  } catch {
    return NaN
  }
}

/** Samples the RSS of `pid` every `everyMs` and keeps the peak, until stopped. */
export class RssSampler {
  peak = 0
  last = NaN
  readonly #timer: NodeJS.Timeout

  constructor (readonly pid: number, everyMs = 200) {
    this.sample()
    this.#timer = setInterval(() => this.sample(), everyMs)
  }

  sample (): number {
    this.last = rssBytes(this.pid)
    if (this.last > this.peak) this.peak = this.last
    return this.last
  }

  stop (): void {
    clearInterval(this.#timer)
  }
}

/**
 * CPU seconds the whole machine spent busy so far (every core; /proc/stat's first line minus
 * idle and iowait): what other processes took during a run is this minus ours, a measure of
 * how noisy the shared machine was.
 */
export function machineBusySeconds (): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    const ticks = line.trim().split(/\s+/).slice(1).map(Number)
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0)
    return (total - ticks[3]! - ticks[4]!) / CLK_TCK
  } catch {
    return NaN
  }
}
