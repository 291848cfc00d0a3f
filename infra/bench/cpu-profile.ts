import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

/**
 * The top self-time functions of a V8 CPU profile (`node --cpu-prof`, the .cpuprofile JSON of
 * the Chrome DevTools protocol, Profiler.Profile): where the platform spends its time when the
 * bench drives it.
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
}
interface Profile {
  startTime: number
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface HotFunction {
  name: string
  /** file:line, relative to the repository where it is ours. */
  where: string
  selfMs: number
  selfPct: number
}

/** Names V8 gives to time that is not in any JavaScript function. */
const NOT_JS = new Set(['(idle)', '(program)', '(garbage collector)'])

/**
 * Self time per function, counting only samples taken within `window` when given: times in
 * microseconds of CLOCK_MONOTONIC, the clock of V8's profiler and of `process.hrtime` in any
 * process on the machine, so the bench can cut out start-up and shutdown.
 */
export interface ProfileTop {
  totalMs: number
  idleMs: number
  busyMs: number
  gcMs: number
  top: HotFunction[]
  /** Self time by package (node_modules/<name>), folder of ours, or Node internals, % of busy. */
  areas: Array<{ area: string, selfPct: number }>
}

export function topSelfTime (path: string, root: string, n = 15, window?: { fromUs: number, toUs: number }): ProfileTop {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<string, { name: string, where: string, us: number }>()
  let totalUs = 0
  let idleUs = 0
  let gcUs = 0
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    at += us
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) return
    totalUs += us
    const frame = byNode.get(id)?.callFrame
    if (frame === undefined) return
    if (frame.functionName === '(idle)') { idleUs += us; return }
    if (frame.functionName === '(garbage collector)') gcUs += us
    const file = frame.url.startsWith('file://') ? relative(root, new URL(frame.url).pathname) : frame.url
    // Lines of .ts files are those of tsx's transpiled output, not the source: left out.
    const where = NOT_JS.has(frame.functionName) || file === '' ? '' : file.endsWith('.ts') ? file : `${file}:${frame.lineNumber + 1}`
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
    const key = `${name}\u0000${where}`
    const entry = self.get(key) ?? { name, where, us: 0 }
    entry.us += us
    self.set(key, entry)
  })
  const busyUs = totalUs - idleUs
  const pct = (us: number): number => busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0
  const areas = new Map<string, number>()
  for (const e of self.values()) {
    const area = areaOf(e.name, e.where)
    areas.set(area, (areas.get(area) ?? 0) + e.us)
  }
  const top = [...self.values()].sort((a, b) => b.us - a.us).slice(0, n).map((e) => ({
    name: e.name,
    where: e.where,
    selfMs: Math.round(e.us / 1000),
    selfPct: pct(e.us)
  }))
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    gcMs: Math.round(gcUs / 1000),
    top,
    areas: [...areas].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([area, us]) => ({ area, selfPct: pct(us) }))
  }
}

function areaOf (name: string, where: string): string {
  if (where === '') return NOT_JS.has(name) ? name : '(native)'
  if (where.startsWith('node:')) return 'node internals'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)
  if (pkg !== null) return pkg[1]!
  return where.includes('/') ? `${where.slice(0, where.indexOf('/'))}/` : where
}
