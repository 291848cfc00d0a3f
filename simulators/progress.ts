import { utrechtTime } from './local-time.js'
import type { Stats } from './stats.js'

/**
 * The live progress line on stderr: rewritten in place on a terminal, one line every few
 * seconds otherwise (a log file or CI), so stdout stays free for the summary.
 */
export interface ProgressSnapshot {
  elapsedS: number
  sent: number
  acked: number
  rejected: number
  rejectedByCode: ReadonlyMap<string, number>
  inFlight: number
  /** Messages per second since the previous line. */
  ratePerS: number
  connected: number
  devices: number
  /** Model time (epoch ms), shown as Utrecht local time; undefined when devices keep their own (load mode). */
  modelMs: number | undefined
  qos: 0 | 1
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const count = new Intl.NumberFormat('en-US')

export function formatProgress (s: ProgressSnapshot): string {
  const parts = [
    clock(s.elapsedS),
    `sent ${count.format(s.sent)}`,
    s.qos === 1 ? `acked ${count.format(s.acked)}` : undefined,
    `rejected ${count.format(s.rejected)}`,
    `in flight ${count.format(s.inFlight)}`,
    `${s.ratePerS.toFixed(s.ratePerS < 10 ? 1 : 0)} msg/s`,
    `up ${s.connected}/${s.devices}`,
    s.modelMs === undefined ? undefined : `model ${modelClock(s.modelMs)}`
  ]
  const codes = [...s.rejectedByCode].sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code.replace(/^INGEST_ERR_/, '')} ${n}`)
  return parts.filter((p) => p !== undefined).join('  ') + (codes.length > 0 ? `  [${codes.join(' ')}]` : '')
}

function clock (seconds: number): string {
  const s = Math.floor(seconds)
  return [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':')
}

function modelClock (ms: number): string {
  const t = utrechtTime(ms)
  const minutes = Math.floor(t.hour * 60)
  return `${WEEKDAYS[t.weekday]} ${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream
  stats: Stats
  /** What the fleet knows and the counters do not. */
  fleet: () => { inFlight: number, connected: number, devices: number, modelMs: number | undefined }
  qos: 0 | 1
}

export interface Progress {
  /** Writes the last line and ends it. */
  stop: () => void
}

export function startProgress (options: ProgressOptions): Progress {
  const { stream, stats } = options
  const tty = stream.isTTY === true
  const startedMs = Date.now()
  let last = { ms: startedMs, sent: 0 }
  const render = (): string => {
    const now = Date.now()
    const dt = Math.max(0.001, (now - last.ms) / 1000)
    const line = formatProgress({
      elapsedS: (now - startedMs) / 1000,
      sent: stats.sent,
      acked: stats.acked,
      rejected: stats.rejected,
      rejectedByCode: stats.rejectedByCode,
      ratePerS: (stats.sent - last.sent) / dt,
      qos: options.qos,
      ...options.fleet()
    })
    last = { ms: now, sent: stats.sent }
    return line
  }
  // \x1b[K clears what a longer previous line left behind (ECMA-48 EL).
  // On a terminal the line must fit its width, or \r cannot take it back; a pty may report 0 columns.
  const width = (): number => stream.columns > 0 ? stream.columns - 1 : 200
  const write = (): void => { stream.write(tty ? `\r${render().slice(0, width())}\x1b[K` : `${render()}\n`) }
  const timer = setInterval(write, tty ? 1000 : 5000)
  return {
    stop () {
      clearInterval(timer)
      write()
      if (tty) stream.write('\n')
    }
  }
}
