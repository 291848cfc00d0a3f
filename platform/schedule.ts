import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import type { Counter } from 'prom-client'
import { SensorstadError } from '../core/errors.js'
import type { JobLock } from '../core/ports/job-lock.js'

/**
 * Scheduled jobs. `schedule` runs a job in this process at every match of its cron
 * expression; `scheduleOnce` runs it in one process of the deployment per match: every
 * process schedules it, each run first claims its slot (the time it was due, whole seconds,
 * the same in every process whose clock is right), and only the winner runs it.
 */

/** How long a claimed slot stays claimed: far beyond any clock skew, so a late process never runs it again. */
const CLAIM_TTL_MS = 10 * 60_000

export function schedule (variable: string, expression: string, name: string, job: () => Promise<void>, logger: Logger): ScheduledTask {
  checkExpression(variable, expression)
  return cron.schedule(expression, async () => {
    try { await job() } catch (err) { logger.error({ err, job: name }, 'scheduled job failed') }
  }, { name, noOverlap: true })
}

export interface OnceOptions {
  lock: JobLock
  logger: Logger
  /** Runs per job and outcome: `done`, `failed`, `elsewhere` (another process had the slot), `unclaimed` (the lock did not answer). */
  runs: Counter<'job' | 'outcome'>
}

export function scheduleOnce (variable: string, expression: string, name: string, job: () => Promise<void>, options: OnceOptions): ScheduledTask {
  checkExpression(variable, expression)
  const { lock, logger, runs } = options
  return cron.schedule(expression, async (context) => {
    const slot = context.date.toISOString()
    let won: boolean
    try {
      won = await lock.claim(name, slot, CLAIM_TTL_MS)
    } catch (err) {
      // Skipped rather than risk a second run: the next slot catches up (rollup, export) or
      // repeats the work (retention).
      runs.inc({ job: name, outcome: 'unclaimed' })
      logger.warn({ err, job: name, slot }, 'scheduled job skipped: its slot could not be claimed')
      return
    }
    if (!won) {
      runs.inc({ job: name, outcome: 'elsewhere' })
      return
    }
    logger.debug({ job: name, slot }, 'scheduled job claimed')
    try {
      await job()
      runs.inc({ job: name, outcome: 'done' })
    } catch (err) {
      runs.inc({ job: name, outcome: 'failed' })
      logger.error({ err, job: name, slot }, 'scheduled job failed')
    }
  }, { name, noOverlap: true })
}

function checkExpression (variable: string, expression: string): void {
  if (!cron.validate(expression)) {
    throw new SensorstadError('CONFIG_ERR_INVALID', `${variable}=${JSON.stringify(expression)} is not a cron expression (e.g. "5 * * * * *")`, variable)
  }
}
