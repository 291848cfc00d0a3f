import type { Stats } from './stats.js'

/** The report printed on stdout when the simulator stops. */
export interface SummaryInput {
  elapsedS: number
  mode: string
  qos: 0 | 1
  stopReason: string
  devicesByKind: ReadonlyMap<string, number>
  connectedAtEnd: number
  /** Publishes still unacknowledged when the clients closed. */
  inFlightAtEnd: number
  /** Last connection error per device that had one. */
  connectionProblems: readonly string[]
  stats: Stats
  credentials: string
}

const count = new Intl.NumberFormat('en-US')

export function formatSummary (s: SummaryInput): string {
  const { stats } = s
  const total = [...s.devicesByKind.values()].reduce((a, b) => a + b, 0)
  const kinds = [...s.devicesByKind].map(([kind, n]) => `${kind} ${n}`).join(', ')
  const rate = stats.sent / Math.max(0.001, s.elapsedS)
  const ms = (q: number): string => `${(stats.latencyQuantile(q) ?? 0).toFixed(1)} ms`
  const lines = [
    `Sensorstad simulator: ${s.mode} mode, QoS ${s.qos}, ${s.elapsedS.toFixed(1)} s, stopped by ${s.stopReason}`,
    row('devices', `${total} (${kinds}), ${s.connectedAtEnd} connected at the end`),
    row('sent', `${count.format(stats.sent)} (${rate.toFixed(1)} msg/s): ${[...s.devicesByKind.keys()].map((kind) => `${kind} ${count.format(stats.sentByKind.get(kind) ?? 0)}`).join(', ')}`),
    s.qos === 1
      ? row('acknowledged', `${count.format(stats.acked)}${stats.acked > 0 ? ` (${(stats.acked / Math.max(0.001, s.elapsedS)).toFixed(1)} msg/s; PUBACK after p50 ${ms(0.5)}, p95 ${ms(0.95)}, p99 ${ms(0.99)})` : ''}`)
      : row('acknowledged', 'n/a at QoS 0'),
    row('rejected', count.format(stats.rejected)),
    ...rejectionRows(stats),
    row('failed', `${count.format(stats.failed)} (client reported the publish as failed)`),
    row('skipped', `${count.format(stats.skipped)} (device offline or its in-flight window full)`),
    row('unacked', `${count.format(s.inFlightAtEnd)} in flight when the clients closed`)
  ]
  if (stats.connectionErrors > 0) lines.push(row('conn errors', `${stats.connectionErrors}; last: ${[...new Set(s.connectionProblems)].slice(0, 3).join('; ')}`))
  lines.push(row('credentials', s.credentials))
  return lines.join('\n') + '\n'
}

function row (label: string, value: string): string {
  return `${label.padEnd(13)} ${value}`
}

/** Per code: rejections received, and how many bad messages were sent to earn that code. */
function rejectionRows (stats: Stats): string[] {
  const codes = [...new Set([...stats.rejectedByCode.keys(), ...stats.badSentByCode.keys()])].sort()
  const rows = codes.map((code) => {
    const got = stats.rejectedByCode.get(code) ?? 0
    const provoked = stats.badSentByCode.get(code)
    return `  ${code.padEnd(28)} ${String(got).padStart(7)}${provoked === undefined ? '' : `  of ${provoked} sent to provoke it`}`
  })
  const unprovoked = codes.filter((code) => !stats.badSentByCode.has(code) && (stats.rejectedByCode.get(code) ?? 0) > 0)
  if (unprovoked.length > 0) {
    rows.push(stats.badSent === 0
      ? `  valid readings were rejected (${unprovoked.join(', ')}): simulator and platform disagree on the kind's fields, units or clock`
      : `  no bad message was meant to earn ${unprovoked.join(', ')}: either valid readings were rejected or the platform names a fault differently`)
  }
  return rows
}
