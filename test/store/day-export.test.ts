import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { daysBetween, parseDay, type DayTable } from '../../core/exports.js'
import { hasDayExport, readExportFile, readExportManifest, writeDayExport, type ExportHashCache } from '../../store/day-export.js'

/** The day-file writer on its own: immutability, partial days, concurrent writers, the manifest. */
function table (day: string, value = 1): DayTable {
  const start = parseDay(day)!
  return {
    kind: 'wastebin',
    day,
    title: 'Bins',
    description: 'Test rows',
    columns: [
      { name: 'sensorId', datatype: 'string', required: true, description: 'id' },
      { name: 'time', datatype: 'dateTime', required: true, description: 'when' },
      { name: 'value', datatype: 'double', required: false, unit: '%', description: 'level' }
    ],
    rows: [{ sensorId: 'bin "a", north', time: start + 1, value }, { sensorId: 'bin-b', time: start + 2, value: null }],
    primaryKey: ['sensorId', 'time'],
    variables: [{ name: 'value', unit: '%', description: 'level' }]
  }
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('day export files', () => {
  let dir: string
  const folder = (): string => join(dir, 'wastebin', '2026', '11')
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sensorstad-export-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('writes Parquet, CSV and CSVW once; a second write with other rows changes nothing', async () => {
    expect(await hasDayExport(dir, 'wastebin', '2026-11-01')).toBe(false)
    expect(await writeDayExport(dir, table('2026-11-01'))).toEqual({ written: ['csv', 'csv-metadata.json', 'parquet'], existing: [] })
    expect(await hasDayExport(dir, 'wastebin', '2026-11-01')).toBe(true)
    const csv = readFileSync(join(folder(), '01.csv'), 'utf8')
    expect(csv).toBe('sensorId,time,value\r\n"bin ""a"", north",2026-11-01T00:00:00.001Z,1.0\r\nbin-b,2026-11-01T00:00:00.002Z,\r\n')
    const before = readFileSync(join(folder(), '01.parquet'))
    expect(await writeDayExport(dir, table('2026-11-01', 99))).toEqual({ written: [], existing: ['parquet', 'csv', 'csv-metadata.json'] })
    expect(readFileSync(join(folder(), '01.parquet')).equals(before)).toBe(true)
  })

  it('completes a day that lost a file without touching the files it still has', async () => {
    await writeDayExport(dir, table('2026-11-02'))
    const csvMtime = statSync(join(folder(), '02.csv')).mtimeMs
    unlinkSync(join(folder(), '02.parquet'))
    expect(await hasDayExport(dir, 'wastebin', '2026-11-02')).toBe(false)
    expect((await writeDayExport(dir, table('2026-11-02'))).written).toEqual(['parquet'])
    expect(statSync(join(folder(), '02.csv')).mtimeMs).toBe(csvMtime)
  })

  it('lets exactly one of two concurrent writers publish each file, and leaves no temporary file', async () => {
    const results = await Promise.all([writeDayExport(dir, table('2026-11-03', 1)), writeDayExport(dir, table('2026-11-03', 2))])
    for (const format of ['parquet', 'csv', 'csv-metadata.json'] as const) {
      expect(results.filter((r) => r.written.includes(format))).toHaveLength(1)
    }
    expect(readdirSync(folder()).sort()).toEqual(['03.csv', '03.csv-metadata.json', '03.parquet'])
  })

  it('lists published files with size and sha256, skipping anything else in the folder', async () => {
    await writeDayExport(dir, table('2026-11-04'))
    writeFileSync(join(folder(), '.04.leftover.parquet.tmp'), 'half a file')
    writeFileSync(join(folder(), 'notes.txt'), 'not an export')
    const cache: ExportHashCache = new Map()
    const files = await readExportManifest(dir, cache)
    expect(files.map((f) => f.format)).toEqual(['parquet', 'csv', 'csv-metadata.json'])
    for (const f of files) {
      expect(f).toMatchObject({ kind: 'wastebin', date: '2026-11-04', bytes: statSync(join(dir, f.path)).size, sha256: sha256(join(dir, f.path)) })
    }
    expect(cache.size).toBe(3)
    expect(await readExportFile(dir, 'wastebin', '2026-11-05', 'csv')).toBeUndefined()
    expect(await readExportFile(dir, '../etc', '2026-11-04', 'csv')).toBeUndefined()
    expect(await readExportManifest(join(dir, 'missing'))).toEqual([])
  })

  it('refuses rows of the wrong type, and writes nothing for them', async () => {
    const bad = { ...table('2026-11-06'), rows: [{ sensorId: 'bin-a', time: 'yesterday', value: 1 }] }
    await expect(writeDayExport(dir, bad)).rejects.toThrow(/column time/)
    expect(readdirSync(folder())).toEqual([])
  })

  it('knows which days exist', () => {
    expect(parseDay('2026-02-30')).toBeUndefined()
    expect(parseDay('2026-11-1')).toBeUndefined()
    expect(daysBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02'])
  })
})
