import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf, parseDay } from '../../core/exports.js'
import type { CellContribution } from '../../core/ports/grid-store.js'
import type { Reading } from '../../core/reading.js'
import { api, registerSensor, startTestPlatform, type TestPlatform } from '../helpers/platform.js'

/**
 * Day files of open data end to end: readings of a past day go into the real platform, the
 * export job writes Parquet, CSV and CSVW metadata with DuckDB, and the files are read back
 * with a different Parquet reader (hyparquet, pure JavaScript) and a CSV parser, and must
 * equal what the anonymous API answers for that day, kind by kind. Then immutability (a
 * second export changes nothing) and the backfill command as its own process.
 */
// Files are in UTC whatever the machine's zone; a zone off UTC makes a slip show (DuckDB's
// ICU converts TIMESTAMPTZ casts into the process's zone).
process.env.TZ = 'Europe/Amsterdam'
const DAY_MS = 86_400_000
const REPO = fileURLToPath(new URL('../..', import.meta.url))
// Days that are final for every kind (the longest allowed lateness, bins, is one day).
const DAY = dayOf(Date.now() - 3 * DAY_MS)
const EARLIER = addDays(DAY, -1)
const CELL_PUBLISHED = 'rd100m-136900-455800'
const CELL_WITHHELD = 'rd100m-137000-455800'

type Row = Record<string, unknown>

function bounds (day: string): { from: number, to: number, q: string } {
  const from = parseDay(day)!
  return { from, to: from + DAY_MS, q: `from=${from / 1000}&to=${(from + DAY_MS) / 1000}` }
}

function file (p: TestPlatform, kind: string, day: string, ext: string): string {
  const [yyyy, mm, dd] = day.split('-')
  return join(p.dataDir, 'exports', kind, yyyy!, mm!, `${dd!}.${ext}`)
}

/** Rows of a Parquet file as plain JSON values: timestamps as RFC 3339, as the API writes them. */
async function parquetRows (path: string): Promise<Row[]> {
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) })
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])))
}

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv (text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { record.push(field); field = '' } else if (c === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; i++ } else field += c
  }
  expect(field).toBe('')
  return records
}

/** CSV rows typed by the datatypes the CSVW metadata declares: what a CSVW processor would read. */
function csvRows (csvPath: string, metadataPath: string): Row[] {
  const metadata = JSON.parse(readFileSync(metadataPath, 'utf8'))
  const columns: Array<{ name: string, datatype: string | { base: string } }> = metadata.tableSchema.columns
  const [header, ...records] = parseCsv(readFileSync(csvPath, 'utf8'))
  expect(header).toEqual(columns.map((c) => c.name))
  return records.map((record) => Object.fromEntries(columns.map((c, i) => {
    const text = record[i]!
    const type = typeof c.datatype === 'string' ? c.datatype : c.datatype.base
    if (text === '' && type !== 'string') return [c.name, null]
    if (type === 'double' || type === 'integer') return [c.name, Number(text)]
    if (type === 'boolean') return [c.name, text === 'true']
    return [c.name, text]
  })))
}

function sha256 (path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** `npm run backfill -- ...` as an operator runs it, on the test's DATA_DIR. */
function backfill (dataDir: string, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'backfill', '--', ...args], {
      cwd: REPO,
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += String(chunk) })
    child.stderr.on('data', (chunk) => { stderr += String(chunk) })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Three bins (one not public), every field every hour, with values that need all their digits. */
function binReadings (day: string): Reading[] {
  const { from } = bounds(day)
  return ['bin-a', 'bin-b', 'bin-private'].flatMap((sensorId, s) => Array.from({ length: 24 }, (_, h) => [
    { sensorId, kind: 'wastebin', field: 'fillingLevel', time: from + h * 3_600_000 + 1_234, value: (s * 24 + h) / 3 },
    { sensorId, kind: 'wastebin', field: 'temperature', time: from + h * 3_600_000 + 5_678, value: 11.1 + h * 0.1 },
    { sensorId, kind: 'wastebin', field: 'battery', time: from + h * 3_600_000, value: 99 - h }
  ]).flat())
}

describe('day files of open data', () => {
  let p: TestPlatform
  const { from, to, q } = bounds(DAY)

  beforeAll(async () => {
    p = await startTestPlatform()
    await registerSensor(p, 'wastebin', 'bin-a')
    await registerSensor(p, 'wastebin', 'bin-b')
    await registerSensor(p, 'wastebin', 'bin-private', { public: false })
    await registerSensor(p, 'crowd', 'cm-1')
    // Days this old are past every kind's allowed lateness, so MQTT would refuse them: they go
    // straight into the stores, as readings that arrived in time would have.
    const edges: Reading[] = [
      { sensorId: 'bin-a', kind: 'wastebin', field: 'fillingLevel', time: from - 1, value: 1 },
      { sensorId: 'bin-a', kind: 'wastebin', field: 'fillingLevel', time: to, value: 2 }
    ]
    await p.store.writeReadings([...binReadings(DAY), ...binReadings(EARLIER), ...edges])
    // Crowd: a busy morning (published), a quiet night (3 people: withheld), no data otherwise.
    const crowd: Reading[] = []
    for (let m = 0; m < 60; m++) {
      crowd.push({ sensorId: 'cm-1', kind: 'crowd', field: 'peopleCount', time: from + 3 * 3_600_000 + m * 60_000, value: 3 })
      crowd.push({ sensorId: 'cm-1', kind: 'crowd', field: 'peopleCount', time: from + 9 * 3_600_000 + m * 60_000, value: 40 + (m % 7) })
    }
    await p.store.writeReadings(crowd)
    // Bicycles: five rides of two devices pass one cell (published), one ride another (withheld).
    const hour = from + 10 * 3_600_000
    const contributions: CellContribution[] = Array.from({ length: 5 }, (_, i) => ({
      kind: 'snuffelfiets', cell: CELL_PUBLISHED, start: hour, field: 'pm25', ride: `ride-${i}`, device: `device-${i % 2}`, count: 3, sum: 30 + i, min: 9 + i, max: 11 + i
    }))
    contributions.push({ kind: 'snuffelfiets', cell: CELL_WITHHELD, start: hour, field: 'pm25', ride: 'ride-9', device: 'device-9', count: 2, sum: 50, min: 20, max: 30 })
    await p.grid.writeContributions(contributions)

    const results = await p.runExport(DAY)
    expect(results.map((r) => [r.kind, r.status]).sort()).toEqual([['crowd', 'written'], ['snuffelfiets', 'written'], ['wastebin', 'written']])
  })
  afterAll(async () => { await p?.destroy() })

  it('lists every file of the day with the size and sha256 of the file on disk', async () => {
    const res = await api(p, 'GET', '/v1/exports', undefined, null)
    expect(res.status).toBe(200)
    const listed = res.body.data.filter((f: Row) => f.date === DAY)
    expect(listed.map((f: Row) => `${String(f.kind)} ${String(f.format)}`).sort()).toEqual(
      ['crowd', 'snuffelfiets', 'wastebin'].flatMap((k) => ['csv', 'csv-metadata.json', 'parquet'].map((f) => `${k} ${f}`))
    )
    const [yyyy, mm, dd] = DAY.split('-')
    for (const f of listed) {
      const path = file(p, f.kind, DAY, f.format)
      expect(f).toEqual({ kind: f.kind, date: DAY, format: f.format, url: `/v1/exports/${f.kind}/${yyyy}/${mm}/${dd}.${f.format}`, bytes: statSync(path).size, sha256: sha256(path) })
    }
    const bins = await api(p, 'GET', '/v1/exports?kind=wastebin', undefined, null)
    expect(bins.body.data.length).toBe(3)
  })

  it('publishes bins as /v1/observations answers the day: public sensors only, the day only', async () => {
    const answer = await api(p, 'GET', `/v1/observations?kind=wastebin&${q}&limit=100000`, undefined, null)
    expect(answer.body.truncated).toBe(false)
    expect(answer.body.data).toHaveLength(2 * 24 * 3)
    const parquet = await parquetRows(file(p, 'wastebin', DAY, 'parquet'))
    expect(parquet).toEqual(answer.body.data)
    expect(parquet.some((r) => r.sensorId === 'bin-private')).toBe(false)
    expect(csvRows(file(p, 'wastebin', DAY, 'csv'), file(p, 'wastebin', DAY, 'csv-metadata.json'))).toEqual(answer.body.data)
  })

  it('publishes crowd counts as /v1/crowd answers the day: per zone, small counts withheld', async () => {
    const answer = await api(p, 'GET', `/v1/crowd?${q}`, undefined, null)
    expect(answer.body.data).toHaveLength(96)
    const parquet = await parquetRows(file(p, 'crowd', DAY, 'parquet'))
    expect(parquet).toEqual(answer.body.data)
    // The file holds both kinds of window, so equality above is not equality of empty tables.
    expect(parquet.filter((r) => r.suppressed === true)).toHaveLength(4)
    expect(parquet.filter((r) => typeof r.count === 'number' && r.count >= 40)).toHaveLength(4)
    expect(Object.keys(parquet[0]!).sort()).toEqual(['count', 'start', 'suppressed', 'window', 'zone'])
    expect(csvRows(file(p, 'crowd', DAY, 'csv'), file(p, 'crowd', DAY, 'csv-metadata.json'))).toEqual(answer.body.data)
  })

  it('publishes bicycles as /v1/grid answers the day: only cells enough rides passed', async () => {
    const answer = await api(p, 'GET', `/v1/grid?kind=snuffelfiets&${q}&limit=100000`, undefined, null)
    expect(answer.body.data.map((r: Row) => r.cell)).toEqual([CELL_PUBLISHED])
    const parquet = await parquetRows(file(p, 'snuffelfiets', DAY, 'parquet'))
    expect(parquet).toEqual(answer.body.data)
    expect(csvRows(file(p, 'snuffelfiets', DAY, 'csv'), file(p, 'snuffelfiets', DAY, 'csv-metadata.json'))).toEqual(answer.body.data)
  })

  it('describes the CSV in CSVW: columns, datatypes, units', () => {
    const metadata = JSON.parse(readFileSync(file(p, 'crowd', DAY, 'csv-metadata.json'), 'utf8'))
    expect(metadata['@context'][0]).toBe('http://www.w3.org/ns/csvw')
    expect(metadata.url).toBe(`${DAY.slice(8)}.csv`)
    const count = metadata.tableSchema.columns.find((c: Row) => c.name === 'count')
    expect(count).toMatchObject({ datatype: 'integer', required: false, 'schema:unitText': 'count' })
    const bins = JSON.parse(readFileSync(file(p, 'wastebin', DAY, 'csv-metadata.json'), 'utf8'))
    expect(bins['schema:variableMeasured'].map((v: Row) => [v['schema:name'], v['schema:unitText']])).toEqual([['fillingLevel', '%'], ['temperature', 'Cel'], ['battery', '%EL']])
    expect(bins.tableSchema.columns.find((c: Row) => c.name === 'time').datatype.base).toBe('dateTime')
  })

  it('serves each file immutable, with its sha256 as ETag and its own media type', async () => {
    const [yyyy, mm, dd] = DAY.split('-')
    const base = `http://127.0.0.1:${p.httpPort}/v1/exports/wastebin/${yyyy!}/${mm!}/${dd!}`
    const types = { parquet: 'application/vnd.apache.parquet', csv: 'text/csv; charset=utf-8; header=present', 'csv-metadata.json': 'application/csvm+json' }
    for (const [ext, type] of Object.entries(types)) {
      const res = await fetch(`${base}.${ext}`, { headers: { 'accept-encoding': 'gzip, br' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-encoding')).toBeNull()
      expect(res.headers.get('content-length')).toBe(String(statSync(file(p, 'wastebin', DAY, ext)).size))
      expect(res.headers.get('content-type')).toBe(type)
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      const path = file(p, 'wastebin', DAY, ext)
      expect(res.headers.get('etag')).toBe(`"${sha256(path)}"`)
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path))).toBe(true)
      const again = await fetch(`${base}.${ext}`, { headers: { 'if-none-match': res.headers.get('etag')! } })
      expect(again.status).toBe(304)
    }
    const head = await fetch(`${base}.parquet`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(statSync(file(p, 'wastebin', DAY, 'parquet')).size))
    expect((await fetch(`${base}.csv`)).headers.get('link')).toBe(`<${dd!}.csv-metadata.json>; rel="describedby"; type="application/csvm+json"`)
  })

  it('answers 404 problem+json for a day or file that is not published', async () => {
    const [yyyy, mm] = EARLIER.split('-')
    for (const path of [`/v1/exports/wastebin/${yyyy!}/${mm!}/${EARLIER.slice(8)}.parquet`, `/v1/exports/nokind/${yyyy!}/${mm!}/01.csv`, `/v1/exports/wastebin/${yyyy!}/${mm!}/01.json`, '/v1/exports/wastebin/2026/02/30.csv']) {
      const res = await api(p, 'GET', path, undefined, null)
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(res.body.code).toBe('API_ERR_NOT_FOUND')
    }
  })

  it('never changes a published day: a second export, even after new readings, leaves the files as they were', async () => {
    const before = ['parquet', 'csv', 'csv-metadata.json'].map((ext) => ({ sha: sha256(file(p, 'wastebin', DAY, ext)), mtime: statSync(file(p, 'wastebin', DAY, ext)).mtimeMs }))
    await p.store.writeReadings([{ sensorId: 'bin-a', kind: 'wastebin', field: 'fillingLevel', time: from + 60_000, value: 77 }])
    const results = await p.runExport(DAY)
    expect(results.map((r) => r.status)).toEqual(['exists', 'exists', 'exists'])
    const after = ['parquet', 'csv', 'csv-metadata.json'].map((ext) => ({ sha: sha256(file(p, 'wastebin', DAY, ext)), mtime: statSync(file(p, 'wastebin', DAY, ext)).mtimeMs }))
    expect(after).toEqual(before)
  })

  it('does not export a day late readings could still change', async () => {
    const results = await p.runExport(dayOf(Date.now()))
    expect(results.map((r) => r.status)).toEqual(['not-final', 'not-final', 'not-final'])
  })

  it('backfills a missing day from the command line with progress, skipping published days', async () => {
    // One process per DuckDB file: the backfill refuses to run beside the platform, and says why.
    const beside = await backfill(p.dataDir, ['--from', EARLIER, '--to', EARLIER])
    expect(beside.code).toBe(1)
    expect(beside.stderr).toContain('Stop it first')
    await p.close()
    const run = await backfill(p.dataDir, ['--from', EARLIER, '--to', DAY, '--kind', 'wastebin'])
    expect(run.stderr).toContain(`1/2 days  wastebin ${EARLIER} written`)
    expect(run.stderr).toContain(`2/2 days  wastebin ${DAY} exists`)
    expect(run.stderr).toMatch(/ETA \d+:\d\d/)
    expect(run.stdout).toContain('1 written, 1 already published')
    expect(run.code).toBe(0)

    const usage = await backfill(p.dataDir, ['--from', DAY])
    expect(usage.code).toBe(64)
    expect(usage.stderr).toContain('--from and --to are required')
    const help = await backfill(p.dataDir, ['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('usage: npm run backfill -- --from YYYY-MM-DD --to YYYY-MM-DD')

    const restarted = await startTestPlatform({ dataDir: p.dataDir })
    try {
      const listed = await api(restarted, 'GET', '/v1/exports?kind=wastebin', undefined, null)
      expect(listed.body.data.filter((f: Row) => f.date === EARLIER).map((f: Row) => f.format).sort()).toEqual(['csv', 'csv-metadata.json', 'parquet'])
      const answer = await api(restarted, 'GET', `/v1/observations?kind=wastebin&${bounds(EARLIER).q}&limit=100000`, undefined, null)
      // Both public bins every hour, and bin-a's reading in the last millisecond of the day.
      expect(answer.body.data).toHaveLength(2 * 24 * 3 + 1)
      expect(await parquetRows(file(restarted, 'wastebin', EARLIER, 'parquet'))).toEqual(answer.body.data)
    } finally {
      await restarted.close()
    }
  }, 120_000)
})
