import { join } from 'node:path'
import type { ScheduledTask } from 'node-cron'
import { Counter, Gauge } from 'prom-client'
import { exportDays, exportItems, type DayExportResult } from '../api/exports/export-days.js'
import type { LiveFeed } from '../api/live-feed.js'
import { Leadership } from '../cluster/leadership.js'
import { AlertEngine } from '../ingest/alerts/alert-engine.js'
import { compactGrid, purgeExpired } from '../ingest/retention.js'
import { rollup } from '../ingest/rollup.js'
import { dayExportWriter, type ExportHashCache } from '../store/day-export.js'
import { ALERTS, COUNTS } from './channels.js'
import type { ProcessContext } from './process-context.js'
import { schedule, scheduleOnce } from './schedule.js'

/**
 * The jobs role: the scheduled jobs, and the work that keeps state in memory.
 *
 * Rollup, export and retention are scheduled by every jobs process and run by one per slot
 * (schedule.ts). The crowd alert engine and the live feed's crowd and grid windows keep
 * state, so they run in one process at a time, the holder of the `jobs` lease (Leadership):
 * a standby follows the crowd counts on the bus too, and when it takes over it resumes from
 * the stored latest counts and alert events, as a restarted all-in-one process does. What
 * the engine raises goes on the bus to every API process; it sends the zone states after
 * each evaluation, so an API process that just started has them.
 */
export interface JobsRole {
  alerts: AlertEngine
  leadership: Leadership
  runRollup (now?: number): Promise<void>
  runExport (day?: string): Promise<DayExportResult[]>
}

/** Alert events read back on takeover: enough for every zone's last level and silent monitors. */
const RESUME_EVENTS = 1_000

export async function startJobs (ctx: ProcessContext, live: LiveFeed): Promise<JobsRole> {
  const { config, logger, metrics, closers } = ctx
  const { kinds, registry, store, grid, alertStore } = ctx.stores
  const { bus, lock, instanceId } = ctx.cluster
  const crowdKind = [...kinds.values()].find((k) => k.privacy.counts !== undefined)

  const alerts = new AlertEngine({
    zones: () => registry.listZones(),
    monitorsOf: (zoneId) => registry.listSensors().filter((s) => s.zoneId === zoneId && s.status === 'active' && s.kind === crowdKind?.id),
    store: alertStore,
    countField: crowdKind?.privacy.counts?.field ?? 'peopleCount',
    expectedIntervalMs: (crowdKind?.expectedIntervalS ?? 60) * 1000,
    hysteresis: config.ALERT_HYSTERESIS,
    minDurationMs: config.ALERT_MIN_DURATION_S * 1000
  })
  closers.add(await bus.subscribe(COUNTS, (readings) => alerts.observe(readings)))
  alerts.subscribe((item) => { bus.publish(ALERTS, item).catch((err: unknown) => logger.warn({ err }, 'alert not announced to the API processes')) })

  const leading = new Gauge({ name: 'sensorstad_leader', help: '1 while this process holds the jobs lease: crowd alerts and live crowd windows run here', registers: [metrics] })
  leading.set(0)
  const leadership = new Leadership({
    lock,
    name: 'jobs',
    ttlMs: config.LEADER_LEASE_MS,
    async onElected () {
      const [latest, events] = await Promise.all([store.latest({ kind: crowdKind?.id }), alertStore.list({ limit: RESUME_EVENTS })])
      alerts.resume(latest, events)
      leading.set(1)
      logger.info({ instanceId }, 'leading: crowd alerts and live crowd windows run in this process')
    },
    onDeposed () {
      leading.set(0)
      logger.warn({ instanceId }, 'no longer leading: crowd alerts run elsewhere')
    },
    onError: (err) => logger.warn({ err }, 'jobs lease')
  })
  await leadership.start()
  closers.add(() => leadership.stop())

  const purged = new Counter({
    name: 'sensorstad_retention_purged_total',
    help: 'Rows removed by the retention job: raw readings deleted, ride contributions stripped of pseudonyms',
    labelNames: ['kind', 'what'] as const,
    registers: [metrics]
  })
  const runs = new Counter({
    name: 'sensorstad_scheduled_runs_total',
    help: 'Scheduled runs of once-per-deployment jobs by outcome: done or failed here, elsewhere (another process had the slot), unclaimed (the lock did not answer)',
    labelNames: ['job', 'outcome'] as const,
    registers: [metrics]
  })

  const exportsDir = join(config.DATA_DIR, 'exports')
  const exportHashes: ExportHashCache = new Map()
  const runRollup = async (now = Date.now()): Promise<void> => {
    const results = await rollup(store, kinds.values(), now)
    logger.debug({ results }, 'rollup done')
  }
  const runExport = async (day?: string): Promise<DayExportResult[]> => {
    const now = Date.now()
    const results = await exportDays({ registry, store, grid, ...dayExportWriter(exportsDir, exportHashes) }, exportItems(kinds.values(), now, day), now)
    logger.info({ results }, 'day export done')
    return results
  }
  const runRetention = async (): Promise<void> => {
    const now = Date.now()
    const readings = await purgeExpired(store, kinds.values(), registry.listSensors(), now)
    const cells = await compactGrid(grid, kinds.values(), now)
    const events = await alertStore.deleteBefore(now - (crowdKind?.retentionDays ?? 7) * 86_400_000)
    purged.inc({ kind: crowdKind?.id ?? 'crowd', what: 'alert-events' }, events)
    for (const r of readings) purged.inc({ kind: r.kind, what: 'readings' }, r.deleted)
    for (const r of cells) purged.inc({ kind: r.kind, what: 'ride-contributions' }, r.deleted)
    logger.info({ readings, cells }, 'retention purge done')
  }
  const whileLeading = (job: () => Promise<void>) => async () => { if (leadership.leading) await job() }
  const once = { lock, logger, runs }
  const tasks: ScheduledTask[] = [
    scheduleOnce('ROLLUP_CRON', config.ROLLUP_CRON, 'rollup', () => runRollup(), once),
    scheduleOnce('EXPORT_CRON', config.EXPORT_CRON, 'export', async () => { await runExport() }, once),
    scheduleOnce('RETENTION_CRON', config.RETENTION_CRON, 'retention', runRetention, once),
    schedule('LIVE_CROWD', '20 * * * * *', 'live-crowd', whileLeading(() => live.tick(Date.now())), logger),
    schedule('ALERT_TICK_S', `*/${Math.min(config.ALERT_TICK_S, 59)} * * * * *`, 'alerts', whileLeading(async () => {
      await alerts.tick(Date.now())
      await bus.publish(ALERTS, { type: 'zones', zones: alerts.states() })
    }), logger)
  ]
  closers.add(async () => { for (const task of tasks) await task.destroy() })
  return { alerts, leadership, runRollup, runExport }
}
