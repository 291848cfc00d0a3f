import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbTimeSeriesStore } from '../../store/duckdb-time-series-store.js'
import { reading, T0 } from './fixtures/latest-crash-writer.js'

/**
 * The DuckDB store keeps `latest` in memory and writes it to its table every few seconds. A
 * process killed in between must lose nothing: the next open reads back what `readings` got
 * after the table was last written. The writer is a real process, killed with SIGKILL.
 */
const WRITER = fileURLToPath(new URL('./fixtures/latest-crash-writer.ts', import.meta.url))

/** Runs a step of the writer on `path`, then kills it with SIGKILL once it has written. */
async function writeAndCrash (path: string, step: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, step], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('done')) resolve() })
    child.once('exit', (code) => reject(new Error(`writer exited with ${code} before writing: ${err}`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

describe('DuckDbTimeSeriesStore latest after a crash', () => {
  let dir = ''
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'sensorstad-latest-crash-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('reads back the newest value of every series written after latest was last persisted', async () => {
    const path = join(dir, 'writes.duckdb')
    await writeAndCrash(path, 'writes')
    const store = await DuckDbTimeSeriesStore.open(path)
    try {
      expect(await store.latest({})).toEqual([reading('s1', T0 + 4000, 4), reading('s2', T0, 104)])
      expect(await store.readings({ from: T0, to: T0 + 5000, sensorIds: ['s1'] })).toHaveLength(5)
    } finally {
      await store.close()
    }
  })

  it('goes on past the seq latest covers when retention has emptied readings', async () => {
    const path = join(dir, 'retention.duckdb')
    let store = await DuckDbTimeSeriesStore.open(path, { latestPersistMs: 0 })
    await store.writeReadings([reading('s1', T0, 1)])
    await store.writeReadings([reading('s1', T0 + 1000, 2)])
    expect(await store.deleteReadingsBefore('air', T0 + 2000)).toBe(2)
    await store.close()
    await writeAndCrash(path, 'after-retention')
    store = await DuckDbTimeSeriesStore.open(path)
    try {
      expect(await store.latest({})).toEqual([reading('s1', T0 + 1000, 2), reading('s3', T0 + 9000, 7)])
    } finally {
      await store.close()
    }
  })
})
