/**
 * The ingest benchmark of issue #8 (`npm run bench`, `npm run bench -- --quick`). Starts the
 * platform (main.ts) in a child process and, in the same run, bare aedes 1.2 and bare mosquitto
 * when installed, each in turn, all driven by the same lean load generator in their own
 * processes; reports per scenario readings/s, PUBACK latency, broker CPU per reading, RSS and
 * the ratio platform / bare aedes, checks that every acknowledged reading was stored, writes
 * the lot to bench/results/<timestamp>.json and prints a table. The machine is shared and
 * noisy: read the ratios, and the `noise` column, before the absolute numbers.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hasInfluxd, startInfluxd, type Influxd } from '../../test/helpers/influxd.js'
import { sensorsNeeded } from './bench-sensors.js'
import { topSelfTime } from './cpu-profile.js'
import { formatProfiles, overloadFindings, type ProfileSummary } from './findings.js'
import { parseOptions, USAGE } from './options.js'
import { Progress } from './progress.js'
import { writeBenchRegister } from './provision.js'
import { storedChecks, toRow, verdicts, withRatios } from './report.js'
import { runSession, type Run, type Session, type SessionResult } from './run-session.js'
import { scenarios } from './scenarios.js'
import { formatStoredChecks, formatTable, formatUncleanExits, formatVerdicts, LEGEND } from './table.js'
import { startAedes } from './targets/aedes-target.js'
import { hasMosquitto, startMosquitto } from './targets/mosquitto-target.js'
import { startPlatform } from './targets/platform-target.js'
import type { RunningTarget, TargetName } from './targets/target.js'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

let options
try {
  options = parseOptions(process.argv.slice(2))
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
  process.exit(2)
}

const notes: string[] = []
const available = new Set<TargetName>(options.targets)
if (available.has('mosquitto') && !hasMosquitto()) {
  available.delete('mosquitto')
  notes.push('mosquitto is not installed: no bare mosquitto runs (apt-get install mosquitto to add them).')
}
if (available.has('platform-influx') && !hasInfluxd) {
  available.delete('platform-influx')
  notes.push('influxd is not installed: no InfluxDB runs (Debian package influxdb).')
}
// Each connection is a file descriptor in the broker and in a generator process.
const fdLimit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()) || 1024
// Scenarios sharing a fleet run on one broker process, in the order of the scenario list.
const sessions: Array<Session & { key: string }> = []
for (const scenario of scenarios(options.quick)) {
  if (options.only.length > 0 && !options.only.includes(scenario.id)) continue
  if (scenario.sensors + 200 > fdLimit) {
    notes.push(`${scenario.id} skipped: ${scenario.sensors.toLocaleString('en')} connections need ulimit -n of at least ${scenario.sensors + 200}, it is ${fdLimit} (raise it: ulimit -n 65536).`)
    continue
  }
  for (const target of scenario.targets) {
    if (!available.has(target)) continue
    const key = `${target} ${scenario.sensors} ${JSON.stringify(scenario.mix)} ${scenario.generators}`
    const session = sessions.find((s) => s.key === key)
    if (session === undefined) sessions.push({ key, target, scenarios: [scenario] })
    else session.scenarios.push(scenario)
  }
}
if (sessions.length === 0) {
  process.stderr.write(`nothing to run. ${notes.join(' ')}\n`)
  process.exit(2)
}

const progress = new Progress()
const workDir = mkdtempSync(join(tmpdir(), 'sensorstad-bench-'))
const started = new Date()
const runs: Run[] = []
const results: SessionResult[] = []
const resultsDir = join(REPO, 'bench', 'results')
const stamp = started.toISOString().replace(/[:.]/g, '-')
const failures: string[] = []
const profiles: ProfileSummary[] = []
let influxd: Influxd | undefined
try {
  progress.update('writing the bench register')
  const fleets = sessions.flatMap((s) => s.scenarios).map((s) => ({ count: s.sensors, mix: s.mix }))
  const registerPath = await writeBenchRegister(join(workDir, 'register'), sensorsNeeded(fleets))
  const start = async (name: TargetName): Promise<RunningTarget> => {
    if (name === 'aedes') return startAedes()
    if (name === 'mosquitto') return startMosquitto(workDir)
    const cpuProfileDir = options.cpuProf ? mkdtempSync(join(workDir, 'profile-')) : undefined
    if (name === 'platform') return startPlatform({ registerPath, workDir, cpuProfileDir })
    influxd ??= await startInfluxd()
    return startPlatform({ registerPath, workDir, cpuProfileDir, influx: { url: influxd.url, db: `bench_${Date.now()}` } })
  }
  const rateOf = (scenario: string, target: TargetName): number | undefined => {
    const run = runs.find((r) => r.scenario === scenario && r.target === target)
    return run === undefined ? undefined : run.messages / run.seconds
  }
  for (const [i, session] of sessions.entries()) {
    progress.step = `${i + 1}/${sessions.length}`
    const sessionRuns: Run[] = []
    try {
      const result = await runSession(session, i + 1, { start, progress, rateOf, settleS: options.quick ? 0.5 : 2, drainTimeoutS: options.quick ? 8 : 60 }, (run) => {
        runs.push(run)
        sessionRuns.push(run)
      })
      results.push(result)
      if (result.report.profile !== undefined) {
        // Kept for Chrome DevTools (Performance > Load profile) or a closer look than the top list.
        mkdirSync(resultsDir, { recursive: true })
        copyFileSync(result.report.profile, join(resultsDir, `${stamp}-${session.target}-${i + 1}.cpuprofile`))
      }
      for (const run of sessionRuns) {
        if (result.report.profile === undefined) continue
        const summary = topSelfTime(result.report.profile, REPO, 12, { fromUs: run.windowUs.from, toUs: run.windowUs.to })
        profiles.push({ scenario: run.scenario, target: run.target, busyMs: summary.busyMs, gcMs: summary.gcMs, top: summary.top, areas: summary.areas })
      }
      const missed = session.scenarios.filter((s) => !sessionRuns.some((r) => r.scenario === s.id))
      if (missed.length > 0) failures.push(`${session.target}: not run after the broker died: ${missed.map((s) => s.id).join(', ')}`)
    } catch (err) {
      failures.push(`${session.target} (${session.scenarios.map((s) => s.id).join(', ')}): ${(err as Error).stack ?? String(err)}`)
    }
  }
} finally {
  await influxd?.destroy()
  rmSync(workDir, { recursive: true, force: true })
  progress.done()
}

const rows = withRatios(runs.map((run) => toRow(run, results.find((s) => s.id === run.session))))
const checks = storedChecks(results)
const judged = verdicts(rows, checks)
mkdirSync(resultsDir, { recursive: true })
const file = join(resultsDir, `${stamp}.json`)
writeFileSync(file, JSON.stringify({
  startedAt: started.toISOString(),
  seconds: Math.round((Date.now() - started.getTime()) / 1000),
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg(), fdLimit },
  scenarios: sessions.flatMap((s) => s.scenarios).filter((s, i, all) => all.indexOf(s) === i),
  rows,
  stored: checks,
  verdicts: judged,
  profiles,
  notes,
  failures,
  sessions: results,
  runs
}, null, 2) + '\n')

const out = [
  `Ingest benchmark (issue #8), ${started.toISOString()}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  '',
  formatTable(rows),
  '',
  LEGEND,
  '',
  'Targets of issue #8 (platform):',
  formatVerdicts(judged),
  '',
  'Acknowledged vs stored, per platform process (scenarios of one fleet share a process):',
  ...formatStoredChecks(checks),
  ...[formatUncleanExits(rows), overloadFindings(rows), formatProfiles(profiles), notes, failures.map((f) => `FAILED ${f}`)]
    .filter((lines) => lines.length > 0).flatMap((lines) => ['', ...lines]),
  '',
  `Written to ${file}`
]
process.stdout.write(out.join('\n') + '\n')
process.exitCode = failures.length > 0 ? 1 : 0
