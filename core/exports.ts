import { ID_PATTERN } from './topics.js'

/**
 * Bulk open data (DESIGN.md section 3, `/v1/exports/...`): per kind and UTC day one Parquet
 * file, one CSV file and its W3C CSVW metadata, written once and never changed, so a mirror
 * or a data lake can fetch each file once and trust its sha256 forever. The API builds the
 * public rows of a day (the same privacy rules as its routes), the store writes the files.
 */
export const EXPORT_FORMATS = ['parquet', 'csv', 'csv-metadata.json'] as const
export type ExportFormat = typeof EXPORT_FORMATS[number]

export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  // IANA registration of 2024 (was application/x-parquet before).
  parquet: 'application/vnd.apache.parquet',
  // RFC 4180 section 3 and RFC 7111: the header parameter tells a reader row 1 names columns.
  csv: 'text/csv; charset=utf-8; header=present',
  // CSVW, Model for Tabular Data and Metadata, appendix C (IANA registration).
  'csv-metadata.json': 'application/csvm+json'
}

const DAY_MS = 86_400_000
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/

/** Epoch ms of 00:00Z of `day` (`YYYY-MM-DD`), or undefined when it is not a real date. */
export function parseDay (day: string): number | undefined {
  const m = DAY_PATTERN.exec(day)
  if (m === null) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  // Date.UTC rolls 2026-02-30 over into March; a day that does not round-trip does not exist.
  return dayOf(ms) === day ? ms : undefined
}

/** The UTC day (`YYYY-MM-DD`) holding `ms`. */
export function dayOf (ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10)
}

export function addDays (day: string, n: number): string {
  const start = parseDay(day)
  if (start === undefined) throw new RangeError(`not a day: ${day}`)
  return dayOf(start + n * DAY_MS)
}

/** Days from `from` to `to`, both included, in order. */
export function daysBetween (from: string, to: string): string[] {
  const a = parseDay(from)
  const b = parseDay(to)
  if (a === undefined || b === undefined) throw new RangeError(`not a day: ${a === undefined ? from : to}`)
  return Array.from({ length: Math.max(0, (b - a) / DAY_MS + 1) }, (_, i) => dayOf(a + i * DAY_MS))
}

/** `{kind}/{yyyy}/{mm}/{dd}.{format}`, relative to the export folder and to `/v1/exports/`. */
export function exportPath (kind: string, day: string, format: ExportFormat): string {
  if (!ID_PATTERN.test(kind)) throw new RangeError(`not a kind id: ${kind}`)
  if (parseDay(day) === undefined) throw new RangeError(`not a day: ${day}`)
  const [yyyy, mm, dd] = day.split('-')
  return `${kind}/${yyyy}/${mm}/${dd}.${format}`
}

/** CSVW built-in datatypes (Metadata Vocabulary section 5.11) the exports use. */
export type ExportDatatype = 'string' | 'double' | 'integer' | 'boolean' | 'dateTime'

export interface ExportColumn {
  /** Column name in Parquet and the CSV header: letters, digits and `_`. */
  name: string
  datatype: ExportDatatype
  description: string
  /** A unit every value of the column has (SenML/UCUM symbol); absent when a `unit` column gives it per row. */
  unit?: string
  /** Whether every row has a value (a Parquet REQUIRED column, CSVW `required`). */
  required: boolean
}

/** `dateTime` values are epoch ms (UTC); the files hold them as UTC timestamps. */
export type ExportValue = string | number | boolean | null

/** The public rows of one kind for one UTC day, as the files will hold them. */
export interface DayTable {
  kind: string
  day: string
  title: string
  description: string
  columns: readonly ExportColumn[]
  /** In publication order; keys are column names. */
  rows: ReadonlyArray<Readonly<Record<string, ExportValue>>>
  /** Columns that together identify a row. */
  primaryKey: readonly string[]
  /** The measured quantities, with their units, for the CSVW metadata. */
  variables: ReadonlyArray<{ name: string, unit: string, description: string }>
}

/** One file in the export folder, as the manifest lists it. */
export interface ExportFile {
  kind: string
  date: string
  format: ExportFormat
  /** {@link exportPath} of the file. */
  path: string
  bytes: number
  /** Hex digest of the whole file. */
  sha256: string
}
