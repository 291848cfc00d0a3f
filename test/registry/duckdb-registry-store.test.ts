import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RegistryStore } from '../../core/ports/registry-store.js'
import { DuckDbRegistryStore } from '../../registry/duckdb-registry-store.js'
import { registryStoreConformance } from './registry-store.conformance.js'

let dir = ''
let files = 0
/** The file each open store lives in; the store itself does not say. */
const paths = new WeakMap<RegistryStore, string>()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorstad-registry-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const openAt = async (path: string): Promise<DuckDbRegistryStore> => {
  const store = await DuckDbRegistryStore.open(path)
  paths.set(store, path)
  return store
}

/** A new, empty store file per test, so tests share nothing. */
const openFresh = (): Promise<DuckDbRegistryStore> => openAt(join(dir, `registry-${++files}.duckdb`))

const reopen = async (store: RegistryStore): Promise<RegistryStore> => {
  const path = paths.get(store)
  if (path === undefined) throw new TypeError('reopen needs a store opened by this file')
  await store.close()
  return openAt(path)
}

registryStoreConformance('duckdb (file)', openFresh, reopen)

// No `reopen`: an in-memory database is gone once closed, so the restart tests are not registered for it.
registryStoreConformance('duckdb (:memory:)', () => DuckDbRegistryStore.open(':memory:'))

describe('DuckDbRegistryStore', () => {
  it('creates the parent folder of its file', async () => {
    const path = join(dir, 'nested', 'deeper', 'registry.duckdb')
    const store = await DuckDbRegistryStore.open(path)
    try {
      expect((await stat(path)).isFile()).toBe(true)
      expect(await store.load()).toStrictEqual({ sensors: [], zones: [], credentials: [], tokens: [] })
    } finally {
      await store.close()
    }
  })
})
