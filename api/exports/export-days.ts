import type { DayTable, ExportFormat } from '../../core/exports.js'
import type { KindDefinition } from '../../core/kind.js'
import { dayFinalAt, lastFinalDay, publicDayTable, type PublicDayDeps } from './public-day.js'

/**
 * The day-export job, shared by the nightly schedule (platform.ts) and the backfill command
 * (infra/backfill.ts): for each kind and day, skip what is published, gather the public rows,
 * hand them to the writer. The writer is passed in, so the API folder never imports a store.
 */
export interface DayExportDeps extends PublicDayDeps {
  /** Whether every file of the day is published already. */
  has (kind: string, day: string): Promise<boolean>
  write (table: DayTable): Promise<{ written: ExportFormat[] }>
}

export interface DayExportItem { kind: KindDefinition, day: string }

/**
 * - `written`: files were published now;
 * - `exists`: the day was published before and is left as it is (files are immutable);
 * - `not-final`: late readings may still arrive for the day (see `dayFinalAt`); try later;
 * - `not-public`: the kind publishes nothing per day.
 */
export type DayExportStatus = 'written' | 'exists' | 'not-final' | 'not-public'

export interface DayExportResult { kind: string, day: string, status: DayExportStatus, rows?: number }

/** The nightly work: each kind's newest final day (or `day` when given). */
export function exportItems (kinds: Iterable<KindDefinition>, now: number, day?: string): DayExportItem[] {
  return [...kinds].map((kind) => ({ kind, day: day ?? lastFinalDay(kind, now) }))
}

/** One item at a time, so a backfill of months never holds more than one day in memory. */
export async function exportDays (
  deps: DayExportDeps,
  items: readonly DayExportItem[],
  now: number,
  onItem?: (result: DayExportResult, done: number, total: number) => void
): Promise<DayExportResult[]> {
  const results: DayExportResult[] = []
  for (const { kind, day } of items) {
    const result = await exportDay(deps, kind, day, now)
    results.push(result)
    onItem?.(result, results.length, items.length)
  }
  return results
}

async function exportDay (deps: DayExportDeps, kind: KindDefinition, day: string, now: number): Promise<DayExportResult> {
  if (dayFinalAt(kind, day) > now) return { kind: kind.id, day, status: 'not-final' }
  if (await deps.has(kind.id, day)) return { kind: kind.id, day, status: 'exists' }
  const table = await publicDayTable(deps, kind.id, day)
  if (table === undefined) return { kind: kind.id, day, status: 'not-public' }
  const { written } = await deps.write(table)
  return { kind: kind.id, day, status: written.length > 0 ? 'written' : 'exists', rows: table.rows.length }
}
