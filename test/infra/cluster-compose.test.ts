import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { configSchema, loadConfig } from '../../core/config.js'

/**
 * The "cluster" profile of docker-compose.yml (no Docker engine here: the load balancer file
 * runs for real in haproxy.test.ts; these checks tie the compose file to core/config.ts and
 * to the load balancer's back ends).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
interface Service { profiles?: string[], environment?: Record<string, string>, volumes?: string[], image?: string }
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> }
const haproxy = readFileSync(join(ROOT, 'infra/haproxy/haproxy.cfg'), 'utf8')
const cluster = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('cluster'))
const platformServices = cluster.filter(([, s]) => s.environment?.ROLE !== undefined)

describe('docker-compose.yml, profile cluster', () => {
  it('has broker, api and jobs processes, Redis, PostgreSQL and a load balancer', () => {
    const roles = platformServices.map(([, s]) => s.environment!.ROLE).sort()
    expect(roles).toEqual(['api', 'api', 'broker', 'broker', 'jobs'])
    expect(cluster.map(([name]) => name)).toEqual(expect.arrayContaining(['redis', 'postgres', 'lb']))
  })

  it('sets only variables core/config.ts reads, with values it accepts once interpolated', () => {
    const keys = new Set(Object.keys(configSchema.shape))
    for (const [name, s] of platformServices) {
      for (const key of Object.keys(s.environment!)) expect(keys.has(key), `${name}: ${key}`).toBe(true)
      const env = Object.fromEntries(Object.entries(s.environment!).map(([k, v]) => [k, v
        .replace(/\$\{ADMIN_TOKEN[^}]*\}/, 'a'.repeat(32))
        .replace(/\$\{POSTGRES_PASSWORD[^}]*\}/, 'secret')]))
      expect(() => loadConfig(env), name).not.toThrow()
    }
  })

  it('gives the load balancer a back end for every broker and API service, and nothing else', () => {
    const backends = [...haproxy.matchAll(/^\s*server \S+ ([a-z0-9-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`).sort()
    const expected = platformServices.flatMap(([name, s]) => s.environment!.ROLE === 'broker'
      ? [`${name}:1883`, `${name}:8083`]
      : s.environment!.ROLE === 'api' ? [`${name}:8080`] : []).sort()
    expect(backends).toEqual(expected)
  })

  it('shares the day files between the jobs process that writes them and the API processes', () => {
    for (const [name, s] of platformServices.filter(([, s]) => s.environment!.ROLE !== 'broker')) {
      expect(s.volumes, name).toContain('exports:/data/exports')
    }
  })
})
