import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { zoneSchema, type Zone } from '../../core/sensor.js'
import { SensorstadError } from '../../core/errors.js'
import { DuckDbRegistryStore } from '../../registry/duckdb-registry-store.js'
import { DUCKDB_CHECKPOINT_THRESHOLD, hasTmpfs, mountTmpfs, requireTmpfsInCi, type Tmpfs } from '../helpers/tmpfs.js'

/**
 * The register's DuckDB file on a disk that fills up and is freed again. A COMMIT that takes
 * the WAL past DuckDB's checkpoint threshold checkpoints, and a checkpoint that meets a full
 * disk is FATAL: DuckDB invalidates the instance, and every later call on it fails, even once
 * there is room again. The store must open the file again by itself, so that the admin who
 * registers the next sensor after space was freed is not refused until someone restarts the
 * platform.
 */
requireTmpfsInCi()

const MiB = 1024 * 1024

/**
 * A valid zone of about `bytes` in JSON: a ring of jittered vertices, whose digits do not
 * compress, so that big entries reach the checkpoint threshold in a few hundred writes.
 */
function zone (id: string, bytes: number): Zone {
  const n = Math.max(3, Math.floor(bytes / 40))
  const ring: Array<[number, number]> = Array.from({ length: n }, (_, i) => {
    const a = 2 * Math.PI * i / n
    return [5.12 + 0.01 * Math.cos(a) + Math.random() * 1e-6, 52.09 + 0.01 * Math.sin(a) + Math.random() * 1e-6]
  })
  ring.push(ring[0]!)
  const now = new Date().toISOString()
  return zoneSchema.parse({ id, name: id, geometry: { type: 'Polygon', coordinates: [ring] }, areaM2: 1000, createdAt: now, updatedAt: now })
}

describe.runIf(hasTmpfs)('DuckDbRegistryStore on a full disk', () => {
  let disk: Tmpfs | undefined
  let store: DuckDbRegistryStore | undefined

  afterEach(async () => {
    await store?.close().catch(() => {})
    store = undefined
    disk?.destroy()
    disk = undefined
  })

  it('answers STORE_ERR_UNAVAILABLE while the checkpoint cannot be written, and takes writes again once space is freed', async () => {
    // Room for the WAL to reach the checkpoint threshold, not for the checkpoint that copies
    // it into the database file: every WAL append fits, and the checkpoint meets a full disk.
    disk = mountTmpfs(64 * MiB)
    disk.fill(DUCKDB_CHECKPOINT_THRESHOLD + 1.5 * MiB)
    const path = join(disk.dir, 'registry.duckdb')
    store = await DuckDbRegistryStore.open(path)
    const walSize = (): number => { try { return statSync(`${path}.wal`).size } catch { return 0 } }

    const kept: string[] = []
    let refused: unknown
    for (let i = 0; i < 400 && refused === undefined; i++) {
      const id = `zone-${i}`
      refused = await store.putZone(zone(id, 60 * 1024)).then(() => { kept.push(id) }, (err: unknown) => err)
    }
    expect(refused).toBeInstanceOf(SensorstadError)
    expect((refused as SensorstadError).code).toBe('STORE_ERR_UNAVAILABLE')
    expect((refused as Error).message).toMatch(/register cannot use its file: .*No space left on device/)
    // It was the checkpoint: the WAL had grown to the threshold, and still holds every entry.
    expect(walSize()).toBeGreaterThan(DUCKDB_CHECKPOINT_THRESHOLD * 0.9)
    expect(kept.length).toBeGreaterThan(200)
    // Still full: refused again, with the same clear error.
    await expect(store.putZone(zone('zone-still-full', 1024))).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })

    disk.free()
    await store.putZone(zone('zone-after', 1024))
    kept.push('zone-after')
    expect(await store.get('zones', 'zone-after')).toMatchObject({ id: 'zone-after' })
    const ids = (await store.load()).zones.map((z) => z.id)
    expect(ids).toEqual(expect.arrayContaining(kept))

    // And all of it is in the file: a new store on it, after a clean close, reads every entry back.
    await store.close()
    store = await DuckDbRegistryStore.open(path)
    expect((await store.load()).zones.map((z) => z.id)).toEqual(expect.arrayContaining(kept))
  })
})
