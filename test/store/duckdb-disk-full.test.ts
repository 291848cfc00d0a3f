import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterEach, describe, expect, it } from 'vitest'
import type { Reading } from '../../core/reading.js'
import { DuckDbTimeSeriesStore } from '../../store/duckdb-time-series-store.js'
import { growWalToCheckpoint, hasTmpfs, mountTmpfs, requireTmpfsInCi, type Tmpfs } from '../helpers/tmpfs.js'

/**
 * The embedded store on a disk that fills up and is freed again (issue 7, item 11), on a
 * size-limited tmpfs. DuckDB meets ENOSPC in two places: appending to the WAL at COMMIT (the
 * instance stays usable) and writing a checkpoint into the database file (FATAL: DuckDB
 * invalidates the instance). Either way the write rejects, and once space is freed the same
 * store object takes writes again, with no reopen by its owner. The caller retries a rejected
 * batch, as group commit does; at the end every batch is stored exactly once, read through the
 * store, counted by DuckDB itself, and again after a restart.
 */
requireTmpfsInCi()

const T0 = Date.UTC(2024, 0, 1)
const SENSOR = 'bin-disk-full'
const MiB = 1024 * 1024

/** Batch `b`: `size` readings of one series at T0 + b * 1000 + k, each its own key. */
function batch (b: number, size: number): Reading[] {
  return Array.from({ length: size }, (_, k) => ({ sensorId: SENSOR, kind: 'wastebin', field: 'fillingLevel', time: T0 + b * 1000 + k, value: b % 100 }))
}

/** The times batches `bs` have, in order. */
function timesOf (bs: Iterable<number>, size: number): number[] {
  return [...bs].sort((x, y) => x - y).flatMap((b) => batch(b, size).map((r) => r.time))
}

async function storedTimes (store: DuckDbTimeSeriesStore): Promise<number[]> {
  const rows = await store.readings({ sensorIds: [SENSOR], from: T0, to: T0 + 1_000_000, limit: 1_000_000 })
  return rows.map((r) => r.time)
}

/** Rows of the sensor in the file, counted by DuckDB itself rather than the store's deduplicating reads. */
async function rawCount (path: string): Promise<{ rows: number, keys: number }> {
  const instance = await DuckDBInstance.create(path)
  const conn = await instance.connect()
  try {
    const reader = await conn.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT time) AS d FROM readings WHERE sensor_id = '${SENSOR}'`)
    const [row] = reader.getRowObjectsJS()
    return { rows: Number(row?.n), keys: Number(row?.d) }
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

/** Batches written so far: those whose write resolved, and those still to retry. */
class Batches {
  readonly acked = new Set<number>()
  readonly rejected = new Set<number>()
  next = 0

  constructor (readonly store: () => DuckDbTimeSeriesStore, readonly size: number) {}

  /** Writes batch `b` (the next new one by default); answers the error it rejected with. */
  async write (b = this.next++): Promise<unknown> {
    try {
      await this.store().writeReadings(batch(b, this.size))
      this.acked.add(b)
      this.rejected.delete(b)
      return undefined
    } catch (err) {
      this.rejected.add(b)
      return err
    }
  }

  /** Writes new batches until one rejects (at most `max`), and answers its error. */
  async untilRejected (max: number): Promise<unknown> {
    for (let i = 0; i < max; i++) {
      const err = await this.write()
      if (err !== undefined) return err
    }
    throw new Error(`no write failed in ${max} batches: the disk never filled`)
  }

  /** Retries every rejected batch once, oldest first; they must all resolve now. */
  async retry (): Promise<void> {
    for (const b of [...this.rejected].sort((x, y) => x - y)) {
      const err = await this.write(b)
      if (err !== undefined) throw err
    }
  }
}

describe.runIf(hasTmpfs)('DuckDbTimeSeriesStore on a full disk', () => {
  let fs: Tmpfs | undefined
  let store: DuckDbTimeSeriesStore | undefined

  afterEach(async () => {
    await store?.close()
    store = undefined
    fs?.destroy()
    fs = undefined
  })

  it('rejects writes while the WAL cannot grow, and takes them again once space is freed', async () => {
    fs = mountTmpfs(8 * MiB)
    const path = join(fs.dir, 'timeseries.duckdb')
    store = await DuckDbTimeSeriesStore.open(path)
    const batches = new Batches(() => store!, 500)
    for (let i = 0; i < 10; i++) expect(await batches.write()).toBeUndefined()

    fs.fill(256 * 1024)
    const err = await batches.untilRejected(100)
    expect(err).toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    // The scenario, not the wording: the WAL append at COMMIT met ENOSPC, nothing fatal.
    expect(String(err)).toMatch(/No space left on device/)
    expect(String(err)).not.toMatch(/checkpoint|invalidated/)
    for (let i = 0; i < 3; i++) expect(await batches.write()).toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    // Reads go on meanwhile, and show no part of a rejected batch: its COMMIT was rolled back.
    expect(await storedTimes(store)).toEqual(timesOf(batches.acked, 500))

    fs.free()
    await batches.retry()
    for (let i = 0; i < 5; i++) expect(await batches.write()).toBeUndefined()
    expect(batches.acked.size).toBe(batches.next)
    expect(await storedTimes(store)).toEqual(timesOf(batches.acked, 500))

    await store.close()
    expect(await rawCount(path)).toEqual({ rows: batches.next * 500, keys: batches.next * 500 })
    store = await DuckDbTimeSeriesStore.open(path)
    expect(await storedTimes(store)).toEqual(timesOf(batches.acked, 500))
  }, 30_000)

  it('reopens its file by itself after a checkpoint failed for lack of space, and loses no resolved batch', async () => {
    fs = mountTmpfs(40 * MiB)
    const path = join(fs.dir, 'timeseries.duckdb')
    store = await DuckDbTimeSeriesStore.open(path)
    const batches = new Batches(() => store!, 100)
    for (let i = 0; i < 5; i++) expect(await batches.write()).toBeUndefined()
    await growWalToCheckpoint(path, (readings) => store!.writeReadings(readings))

    // Room for the next WAL appends (under 128 KiB to the threshold), not for the checkpoint
    // they start (about 800 KiB of compressed filler readings).
    fs.fill(384 * 1024)
    const err = await batches.untilRejected(200)
    expect(err).toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    // The scenario: a FATAL checkpoint error, after which DuckDB refuses the instance.
    expect(String(err)).toMatch(/checkpoint.*No space left on device/)

    // While the disk stays full, each write reopens the file and fails again at its
    // checkpoint; reads and pings beside them reopen it too and answer.
    const during = await Promise.allSettled([batches.write(), storedTimes(store), store.ping(), batches.write(), storedTimes(store)])
    expect(during[0]).toMatchObject({ status: 'fulfilled', value: { code: 'STORE_ERR_UNAVAILABLE' } })
    expect(during[3]).toMatchObject({ status: 'fulfilled', value: { code: 'STORE_ERR_UNAVAILABLE' } })
    expect(during[2]!.status).toBe('fulfilled')
    for (const read of [during[1]!, during[4]!]) {
      // Every resolved batch is there. A batch whose COMMIT failed at the checkpoint may be
      // there too, whole (it reached the WAL first); its retry below is then a duplicate.
      if (read.status !== 'fulfilled') throw read.reason
      const times = read.value as number[]
      expect(times).toEqual([...new Set(times)].sort((x, y) => x - y))
      expect(times).toEqual(expect.arrayContaining(timesOf(batches.acked, 100)))
      const batchesSeen = new Set(times.map((t) => Math.floor((t - T0) / 1000)))
      for (const b of batchesSeen) expect(batches.acked.has(b) || batches.rejected.has(b)).toBe(true)
      expect(times.length % 100).toBe(0)
    }

    fs.free()
    // The same store object, no reopen by its owner: the retries and new batches resolve.
    await batches.retry()
    for (let i = 0; i < 5; i++) expect(await batches.write()).toBeUndefined()
    expect(batches.acked.size).toBe(batches.next)
    expect(await storedTimes(store)).toEqual(timesOf(batches.acked, 100))

    await store.close()
    const count = await rawCount(path)
    expect(count.keys).toBe(batches.next * 100)
    // Rows beyond the keys are rejected batches that had been stored and were written again.
    expect(count.rows).toBeLessThanOrEqual(count.keys + 3 * 100)
    store = await DuckDbTimeSeriesStore.open(path)
    expect(await storedTimes(store)).toEqual(timesOf(batches.acked, 100))
    expect(await batches.write()).toBeUndefined()
    expect(await storedTimes(store)).toEqual(timesOf(batches.acked, 100))
  }, 40_000)
})
