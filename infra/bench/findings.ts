import type { HotFunction } from './cpu-profile.js'
import type { Row } from './report.js'

/**
 * The prose under the table: how each broker went through overload, and where the platform
 * spent its CPU when profiled.
 */
export interface ProfileSummary {
  scenario: string
  target: string
  busyMs: number
  gcMs: number
  top: HotFunction[]
  areas: Array<{ area: string, selfPct: number }>
}

/** Overload against the same target's sustainable run (the headline scenario). */
export function overloadFindings (rows: readonly Row[]): string[] {
  const lines: string[] = []
  for (const r of rows.filter((row) => row.scenario === 'overload')) {
    const base = rows.find((b) => b.scenario === 'qos1-c1000' && b.target === r.target)
    const ratio = base === undefined ? 'no sustainable run to compare' : `${(r.messagesPerS / base.messagesPerS).toFixed(2)} of sustainable ${base.messagesPerS.toLocaleString('en')} msg/s`
    const dropped = r.disconnects > 0 || (r.rejected ?? 0) > 0
    const slowed = base?.p99Ms !== undefined && r.p99Ms !== undefined && r.p99Ms > base.p99Ms
    lines.push(
      `overload on ${r.target}: ${r.crashed ? 'CRASHED' : r.uncleanExit !== undefined ? `survived the run, died when stopped (${r.uncleanExit})` : 'no crash'}; ` +
      `${r.messagesPerS.toLocaleString('en')} msg/s, ${ratio} ` +
      `(offered ${r.offeredRate?.toLocaleString('en') ?? '?'}); peak RSS ${r.peakMB} MB; PUBACK p99 ${r.p99Ms ?? '-'} ms ` +
      `(sustainable ${base?.p99Ms ?? '-'} ms); ${r.deferred.toLocaleString('en')} sends held back by full windows; ` +
      `${r.disconnects} disconnects; subscriber got ${r.subscriberReceived.toLocaleString('en')} messages` +
      (r.unacknowledged > 0 ? `; ${r.unacknowledged.toLocaleString('en')} messages still unacknowledged after the drain timeout` : '') + '.',
      `  ${dropped ? 'connections were DROPPED or messages refused' : slowed || r.deferred > 0 ? 'PUBACKs slowed down (back-pressure), no connection dropped, nothing refused' : 'kept up, nothing dropped'}` +
      ' (acknowledged vs stored: see below)'
    )
  }
  return lines
}

export function formatProfiles (profiles: readonly ProfileSummary[]): string[] {
  const lines: string[] = []
  for (const p of profiles) {
    lines.push(`${p.scenario} on ${p.target}: ${p.busyMs} ms busy in the measured interval (GC ${p.gcMs} ms)`)
    lines.push(`  by area: ${p.areas.map((a) => `${a.area} ${a.selfPct.toFixed(1)} %`).join(', ')}`)
    lines.push('  top self time:')
    for (const f of p.top) lines.push(`  ${f.selfPct.toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`)
  }
  return lines
}
