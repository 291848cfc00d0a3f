import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { kinds, openRegistry, resetClock, tamper, tick } from './registry-harness.js'

describe('Registry: API tokens', () => {
  let store: MemoryRegistryStore
  let registry: Registry
  let revoked: string[]

  const open = (bootstrapAdminToken?: string): Promise<Registry> => openRegistry(store, revoked, bootstrapAdminToken)

  beforeEach(async () => {
    resetClock()
    store = new MemoryRegistryStore()
    revoked = []
    registry = await open()
  })

  const ADMIN_TOKEN = 'bootstrap-admin-token-0123456789'

  it('issues sst_<12 hex>_<43 chars> tokens that authenticate with their role', async () => {
    const { token, record } = await registry.createToken('operations', 'ops dashboard')
    const match = /^sst_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token)
    expect(match).not.toBeNull()
    expect(record).toStrictEqual({ id: match![1], name: 'ops dashboard', role: 'operations', secretHash: record.secretHash, createdAt: '2024-06-01T12:00:00.000Z' })
    const principal = { tokenId: match![1], name: 'ops dashboard', role: 'operations' }
    expect(await registry.authenticateToken(token)).toStrictEqual(principal)
    expect(await registry.authenticateToken(token)).toStrictEqual(principal)
  })

  it('stores only an scrypt hash of the token', async () => {
    const { token, record } = await registry.createToken('enforcement', 'handhaving')
    const secret = token.slice('sst_'.length + 13)
    expect(record.secretHash).toMatch(/^scrypt\$/)
    expect((await store.load()).tokens).toStrictEqual([record])
    expect(JSON.stringify(await store.load())).not.toContain(secret)
  })

  it('refuses a tampered token, also after the real one was cached', async () => {
    const { token } = await registry.createToken('admin', 'root')
    const other = await registry.createToken('admin', 'other')
    expect(await registry.authenticateToken(tamper(token))).toBeUndefined()
    expect(await registry.authenticateToken(token)).toBeDefined()
    expect(await registry.authenticateToken(tamper(token))).toBeUndefined()
    // Right id, secret of another token.
    expect(await registry.authenticateToken(token.slice(0, 17) + other.token.slice(17))).toBeUndefined()
    expect(await registry.authenticateToken(token.slice(0, -1))).toBeUndefined()
    expect(await registry.authenticateToken(`Bearer ${token}`)).toBeUndefined()
    expect(await registry.authenticateToken('')).toBeUndefined()
  })

  it('refuses a token of an unknown id and a revoked token', async () => {
    const { token, record } = await registry.createToken('admin', 'root')
    expect(await registry.authenticateToken(token.replace(record.id, 'ffffffffffff'))).toBeUndefined()
    await store.putToken({ ...record, revokedAt: tick() })
    const restarted = await open()
    expect(await restarted.authenticateToken(token)).toBeUndefined()
    expect(restarted.hasAdminToken()).toBe(false)
  })

  it('keeps tokens across a restart', async () => {
    const { token } = await registry.createToken('enforcement', 'handhaving')
    const restarted = await open()
    expect(await restarted.authenticateToken(token)).toMatchObject({ role: 'enforcement', name: 'handhaving' })
  })

  it('accepts the bootstrap ADMIN_TOKEN as admin, and no other string of its length', async () => {
    const withBootstrap = await open(ADMIN_TOKEN)
    expect(await withBootstrap.authenticateToken(ADMIN_TOKEN)).toStrictEqual({ tokenId: 'bootstrap', name: 'bootstrap', role: 'admin' })
    const sameLength = ADMIN_TOKEN.slice(0, -1) + 'X'
    expect(sameLength).toHaveLength(ADMIN_TOKEN.length)
    expect(await withBootstrap.authenticateToken(sameLength)).toBeUndefined()
    expect(await withBootstrap.authenticateToken(ADMIN_TOKEN + 'X')).toBeUndefined()
    expect(await withBootstrap.authenticateToken(ADMIN_TOKEN.slice(0, -1))).toBeUndefined()
    expect(await withBootstrap.authenticateToken('bootstrap')).toBeUndefined()
    expect(await registry.authenticateToken(ADMIN_TOKEN)).toBeUndefined()
  })

  it('hasAdminToken: only with a bootstrap token or an admin token', async () => {
    expect(registry.hasAdminToken()).toBe(false)
    await registry.createToken('operations', 'ops')
    await registry.createToken('enforcement', 'handhaving')
    expect(registry.hasAdminToken()).toBe(false)
    await registry.createToken('admin', 'root')
    expect(registry.hasAdminToken()).toBe(true)
    expect((await Registry.open(new MemoryRegistryStore(), kinds, { bootstrapAdminToken: ADMIN_TOKEN })).hasAdminToken()).toBe(true)
  })
})
