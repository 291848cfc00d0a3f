import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { link, mkdir, open, readdir, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DuckDBInstance, DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api'
import { EXPORT_FORMATS, exportPath, parseDay, type DayTable, type ExportColumn, type ExportFile, type ExportFormat, type ExportValue } from '../core/exports.js'
import { ID_PATTERN } from '../core/topics.js'
import { csvwMetadata } from './csvw-metadata.js'

/**
 * Day files of open data (DESIGN.md section 7: DuckDB writes Parquet and CSV). The caller
 * hands in rows that are already public; this only writes them, under
 * `{dir}/{kind}/{yyyy}/{mm}/{dd}.{parquet,csv,csv-metadata.json}`.
 *
 * Immutable once written: each file is built under a hidden temporary name and published with
 * link(2), which fails when the name exists, so a reader never sees half a file and a second
 * export (a rerun, a backfill, two jobs at once) never replaces a published one. A crash can
 * leave a day with some of its three files; the next export adds the missing ones only.
 */

/** Hashes of published files, by path; safe to keep because published files never change. */
export type ExportHashCache = Map<string, { bytes: number, mtimeMs: number, sha256: string }>

export interface DayExportResult {
  /** Formats this call published. */
  written: ExportFormat[]
  /** Formats that were already there and were left alone. */
  existing: ExportFormat[]
}

const DUCKDB_TYPES: Record<ExportColumn['datatype'], string> = {
  string: 'VARCHAR',
  double: 'DOUBLE',
  // 32 bits: counts of a day fit, and Parquet INT32 reads back as a plain number everywhere.
  integer: 'INTEGER',
  boolean: 'BOOLEAN',
  // Parquet TIMESTAMP(isAdjustedToUTC = true, MICROS).
  dateTime: 'TIMESTAMPTZ'
}
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]*$/
const FILE_NAME = /^(\d{2})\.(parquet|csv|csv-metadata\.json)$/

/** Whether all files of the day exist (a day with some missing is exported again, for those). */
export async function hasDayExport (dir: string, kind: string, day: string): Promise<boolean> {
  const present = await Promise.all(EXPORT_FORMATS.map((f) => exists(join(dir, exportPath(kind, day, f)))))
  return present.every(Boolean)
}

export async function writeDayExport (dir: string, table: DayTable, cache?: ExportHashCache): Promise<DayExportResult> {
  checkTable(table)
  const finals = new Map(EXPORT_FORMATS.map((f) => [f, join(dir, exportPath(table.kind, table.day, f))]))
  const missing: ExportFormat[] = []
  for (const [format, path] of finals) if (!await exists(path)) missing.push(format)
  const result: DayExportResult = { written: [], existing: EXPORT_FORMATS.filter((f) => !missing.includes(f)) }
  if (missing.length === 0) return result

  const folder = dirname(finals.get('parquet')!)
  await mkdir(folder, { recursive: true })
  // Hidden and unique: the manifest skips dot files, and two writers never share a temp name.
  const temp = new Map(EXPORT_FORMATS.map((f) => [f, join(folder, `.${table.day.slice(8)}.${randomUUID()}.${f}.tmp`)]))
  try {
    await writeWithDuckDb(table, temp.get('parquet')!, temp.get('csv')!)
    const csvName = exportPath(table.kind, table.day, 'csv').split('/').pop()!
    await writeFile(temp.get('csv-metadata.json')!, JSON.stringify(csvwMetadata(table, csvName), null, 2) + '\n')
    // Parquet last: it is what most readers look for first, so it appears with the rest in place.
    for (const format of ['csv', 'csv-metadata.json', 'parquet'] as const) {
      if (!missing.includes(format)) continue
      await fsync(temp.get(format)!)
      try {
        await link(temp.get(format)!, finals.get(format)!)
        result.written.push(format)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        result.existing.push(format)
      }
    }
    // The new directory entries survive a power cut only once the folder itself is synced.
    await fsync(folder)
  } finally {
    await Promise.all([...temp.values()].map((path) => unlink(path).catch(() => {})))
  }
  if (cache !== undefined) {
    for (const format of result.written) await describeFile(dir, table.kind, table.day, format, cache)
  }
  return result
}

/** Every published file under `dir`, ordered by kind, date and format. */
export async function readExportManifest (dir: string, cache?: ExportHashCache): Promise<ExportFile[]> {
  const files: ExportFile[] = []
  for (const kind of (await list(dir)).filter((n) => ID_PATTERN.test(n)).sort()) {
    for (const yyyy of (await list(join(dir, kind))).filter((n) => /^\d{4}$/.test(n)).sort()) {
      for (const mm of (await list(join(dir, kind, yyyy))).filter((n) => /^\d{2}$/.test(n)).sort()) {
        const names = (await list(join(dir, kind, yyyy, mm))).flatMap((n) => {
          const m = FILE_NAME.exec(n)
          return m === null ? [] : [{ day: `${yyyy}-${mm}-${m[1]!}`, format: m[2] as ExportFormat }]
        })
        names.sort((a, b) => a.day.localeCompare(b.day) || EXPORT_FORMATS.indexOf(a.format) - EXPORT_FORMATS.indexOf(b.format))
        for (const { day, format } of names) {
          if (parseDay(day) === undefined) continue
          const file = await describeFile(dir, kind, day, format, cache)
          if (file !== undefined) files.push(file)
        }
      }
    }
  }
  return files
}

/** One published file, or undefined when it does not exist. */
export async function readExportFile (dir: string, kind: string, day: string, format: ExportFormat, cache?: ExportHashCache): Promise<ExportFile | undefined> {
  if (!ID_PATTERN.test(kind) || parseDay(day) === undefined) return undefined
  return describeFile(dir, kind, day, format, cache)
}

async function describeFile (dir: string, kind: string, day: string, format: ExportFormat, cache?: ExportHashCache): Promise<ExportFile | undefined> {
  const path = exportPath(kind, day, format)
  let info
  try {
    info = await stat(join(dir, path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (!info.isFile()) return undefined
  let known = cache?.get(path)
  // Size and mtime in the key: a file someone replaced by hand is hashed again, not trusted.
  if (known === undefined || known.bytes !== info.size || known.mtimeMs !== info.mtimeMs) {
    known = { bytes: info.size, mtimeMs: info.mtimeMs, sha256: await sha256(join(dir, path)) }
    cache?.set(path, known)
  }
  return { kind, date: day, format, path, bytes: known.bytes, sha256: known.sha256 }
}

/** A throwaway in-memory DuckDB: the rows go in through the appender, out through COPY. */
async function writeWithDuckDb (table: DayTable, parquetPath: string, csvPath: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' })
  try {
    const conn = await instance.connect()
    try {
      const columns = table.columns.map((c) => `${ident(c.name)} ${DUCKDB_TYPES[c.datatype]}${c.required ? ' NOT NULL' : ''}`)
      await conn.run(`CREATE TABLE day (${columns.join(', ')})`)
      await append(conn, table)
      await conn.run(`COPY day TO ${literal(parquetPath)} (FORMAT parquet, COMPRESSION snappy)`)
      // Times as RFC 3339 in UTC with milliseconds, as the JSON API writes them. Through epoch
      // microseconds, not a cast: with ICU loaded (it is, in @duckdb/node-api) TIMESTAMPTZ to
      // TIMESTAMP converts into the process's time zone, which would shift every time off UTC.
      const select = table.columns.map((c) => c.datatype === 'dateTime'
        ? `strftime(make_timestamp(epoch_us(${ident(c.name)})), '%Y-%m-%dT%H:%M:%S.%gZ') AS ${ident(c.name)}`
        : ident(c.name))
      await conn.run(`COPY (SELECT ${select.join(', ')} FROM day) TO ${literal(csvPath)} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NEW_LINE '\r\n')`)
    } finally {
      conn.closeSync()
    }
  } finally {
    instance.closeSync()
  }
}

async function append (conn: DuckDBConnection, table: DayTable): Promise<void> {
  const appender: DuckDBAppender = await conn.createAppender('day')
  try {
    for (const row of table.rows) {
      for (const column of table.columns) appendValue(appender, column, row[column.name] ?? null)
      appender.endRow()
    }
  } finally {
    appender.closeSync()
  }
}

function appendValue (appender: DuckDBAppender, column: ExportColumn, value: ExportValue): void {
  if (value === null) return appender.appendNull()
  const wrong = (): never => { throw new TypeError(`column ${column.name} (${column.datatype}) got ${typeof value}`) }
  switch (column.datatype) {
    case 'string': return typeof value === 'string' ? appender.appendVarchar(value) : wrong()
    case 'double': return typeof value === 'number' ? appender.appendDouble(value) : wrong()
    case 'integer': return typeof value === 'number' && Number.isInteger(value) ? appender.appendInteger(value) : wrong()
    case 'boolean': return typeof value === 'boolean' ? appender.appendBoolean(value) : wrong()
    case 'dateTime': return typeof value === 'number' && Number.isInteger(value) ? appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(value) * 1000n)) : wrong()
  }
}

function checkTable (table: DayTable): void {
  exportPath(table.kind, table.day, 'csv')
  for (const c of table.columns) {
    if (!COLUMN_NAME.test(c.name)) throw new RangeError(`column name ${JSON.stringify(c.name)} is not letters, digits and _`)
  }
}

/** Column names are checked against COLUMN_NAME; quoting keeps SQL keywords (`window`) usable. */
function ident (name: string): string {
  return `"${name}"`
}

/** COPY takes its target as a literal, not a parameter; DATA_DIR may hold a quote. */
function literal (text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

async function list (path: string): Promise<string[]> {
  try {
    return await readdir(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return []
    throw err
  }
}

async function fsync (path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function sha256 (path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** The writer side of the day-export job (api/exports/export-days.ts) over one folder. */
export function dayExportWriter (dir: string, cache?: ExportHashCache): { has (kind: string, day: string): Promise<boolean>, write (table: DayTable): Promise<DayExportResult> } {
  return { has: (kind, day) => hasDayExport(dir, kind, day), write: (table) => writeDayExport(dir, table, cache) }
}
