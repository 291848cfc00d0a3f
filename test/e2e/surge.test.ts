import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALERT_LEVELS, type AlertEvent, type AlertLevel } from '../../core/alerts.js'
import { ADMIN_TOKEN, api, startTestPlatform, type TestPlatform } from '../helpers/platform.js'
import { openSse, type SseClient, type SseEvent } from '../helpers/sse.js'

/**
 * The scenario with nothing stubbed: the real simulator, as a child process, drives
 * a zone from quiet to critical and back over MQTT (`--mode surge`), and an enforcement
 * officer's SSE client receives the level changes in order.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** Each level band lasts a tenth of the run: 2.4 s, more than two of the platform's 1 s ticks. */
const DURATION_S = 24

interface Run { code: number | null, stdout: string, stderr: string }

function simulate (args: readonly string[], dataDir: string): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/main.ts', ...args], {
    cwd: REPO,
    env: { ...process.env, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const rank = (level: AlertLevel): number => ALERT_LEVELS.indexOf(level)
const alerts = (events: readonly SseEvent[]): AlertEvent[] => events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data) as AlertEvent)

describe('simulated crowd surge, end to end', () => {
  let p: TestPlatform
  let sse: SseClient
  let token: string
  const simulatorDir = mkdtempSync(join(tmpdir(), 'sensorstad-surge-'))

  beforeAll(async () => {
    // No minimum duration and a tick a second, so a surge of seconds shows every level.
    p = await startTestPlatform({ env: { ALERT_MIN_DURATION_S: '0', ALERT_TICK_S: '1' } })
    const issued = await api(p, 'POST', '/v1/admin/tokens', { role: 'enforcement', name: 'Team Centrum' })
    expect(issued.status).toBe(201)
    token = issued.body.token
    sse = await openSse(`http://127.0.0.1:${p.httpPort}/v1/alerts/stream`, { authorization: `Bearer ${token}` })
  })
  afterAll(async () => {
    sse?.close()
    await p?.destroy()
    rmSync(simulatorDir, { recursive: true, force: true })
  })

  it('streams the zone from normal up to critical and back down to normal, in order', async () => {
    expect(sse.status).toBe(200)
    const run = await simulate([
      '--mode', 'surge',
      '--crowd', '1',
      '--duration', String(DURATION_S),
      '--url', `http://127.0.0.1:${p.httpPort}`,
      '--mqtt', `mqtt://127.0.0.1:${p.mqttPort}`,
      '--token', ADMIN_TOKEN,
      '--credentials', join(simulatorDir, 'credentials.json')
    ], simulatorDir)
    expect(run.code, run.stderr + run.stdout).toBe(0)
    // The peak stays at or under the capacity, so ingest refused none of the counts.
    expect(run.stdout).toMatch(/^rejected +0$/m)

    const zones = (await api(p, 'GET', '/v1/zones', undefined, null)).body.data as Array<{ id: string, capacity: number, thresholds: { unit: string, busy: number, crowded: number, critical: number } }>
    expect(zones).toHaveLength(1)
    const zone = zones[0]!
    expect(zone.thresholds).toEqual({ unit: 'people', busy: zone.capacity * 0.5, crowded: zone.capacity * 0.7, critical: zone.capacity * 0.9 })

    // The quiet tail is over before the simulator exits; the last tick may still be on its way.
    const levelEvents = (events: readonly SseEvent[]): AlertEvent[] => alerts(events).filter((e) => e.type === 'level' && e.zoneId === zone.id)
    const backToNormal = (events: readonly SseEvent[]): boolean => {
      const levels = levelEvents(events)
      return levels.some((e) => e.level === 'critical') && levels.at(-1)?.level === 'normal'
    }
    const events = levelEvents(await sse.until(backToNormal, 5_000))

    const top = events.findIndex((e) => e.level === 'critical')
    expect(events.slice(0, top + 1).map((e) => [e.previousLevel, e.level])).toEqual([['normal', 'busy'], ['busy', 'crowded'], ['crowded', 'critical']])
    const down = events.slice(top + 1)
    expect(down.length).toBeGreaterThan(0)
    // Hysteresis may skip a level on the way down, never turn back up.
    for (const e of down) expect(rank(e.level), `${e.previousLevel} -> ${e.level}`).toBeLessThan(rank(e.previousLevel))
    down.forEach((e, i) => expect(e.previousLevel).toBe(i === 0 ? 'critical' : down[i - 1]!.level))
    expect(down.at(-1)!.level).toBe('normal')

    expect(events[top]!.threshold).toBe(zone.thresholds.critical)
    expect(events[top]!.count).toBeGreaterThanOrEqual(zone.thresholds.critical)
    for (const e of events) expect(e.count).toBeLessThanOrEqual(zone.capacity)

    const ids = alerts(sse.events).map((e) => BigInt(e.id))
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `event id ${ids[i]} after ${ids[i - 1]}`).toBe(true)

    const state = await api(p, 'GET', `/v1/alerts?zone=${zone.id}`, undefined, token)
    expect(state.status).toBe(200)
    expect(state.body.zones).toEqual([expect.objectContaining({ zoneId: zone.id, level: 'normal' })])
  }, 45_000)
})
