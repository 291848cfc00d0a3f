import { createConnection, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Reading } from '../../core/reading.js'
import { ADMIN_TOKEN, api, registerSensor, startTestPlatform, ZONE_VREDENBURG, type TestPlatform } from '../helpers/platform.js'

/**
 * An event-stream reader that stops reading must not make the process buffer the stream for
 * it without bound: past a megabyte waiting, the stream is ended (its EventSource reconnects),
 * and a reader that keeps up goes on receiving. Both streams: the open /v1/live, and the
 * enforcement /v1/alerts/stream, whose zone states go out at every change of a count.
 */
describe('event streams with a reader that stops reading', () => {
  let p: TestPlatform
  beforeAll(async () => {
    p = await startTestPlatform()
    await registerSensor(p, 'wastebin', 'bin-firehose')
  })
  afterAll(async () => { await p.destroy() })

  it('/v1/live ends the stalled stream, keeps memory bounded and serves the others', async () => {
    const t0 = Date.now() - 3_600_000
    // About 40 MB of events, far past what the kernel's socket buffers hold.
    await expectSlowReaderCut(p.httpPort, 'GET /v1/live', 200, (batch) => {
      const readings: Reading[] = Array.from({ length: 1_000 }, (_, i) => ({ sensorId: 'bin-firehose', kind: 'wastebin', field: 'fillingLevel', time: t0 + batch * 1_000 + i, value: i % 100 }))
      p.live.push(readings)
    })
  }, 60_000)

  it('/v1/alerts/stream ends the stalled stream, keeps memory bounded and serves the others', async () => {
    // Zone states of 20 zones with long names, about 10 KB per change: some 35 MB in all.
    const monitors: string[] = []
    for (let z = 0; z < 20; z++) {
      const zone = { ...ZONE_VREDENBURG, id: `zone-${z}`, name: `${'Plein '.repeat(32)}${z}` }
      expect((await api(p, 'POST', '/v1/admin/zones', zone)).status).toBe(201)
      monitors.push((await registerSensor(p, 'crowd', `crowd-${z}`, { zoneId: zone.id })).id)
    }
    const start = Date.now()
    await expectSlowReaderCut(p.httpPort, 'GET /v1/alerts/stream', 3_500, async (tick) => {
      // Counts that change every tick, far below any threshold: states, no alerts. A minute
      // apart, as the engine keeps ten minutes of samples per zone for the trend.
      const time = start + tick * 60_000
      p.alerts.observe(monitors.map((sensorId, i) => ({ sensorId, kind: 'crowd', field: 'peopleCount', time, value: (tick + i) % 50 })))
      await p.alerts.tick(time)
    }, `Authorization: Bearer ${ADMIN_TOKEN}\r\n`)
  }, 90_000)
})

/**
 * Opens a stalled reader and one that keeps up, runs `produce` `rounds` times with a pause
 * every few rounds, then checks that the server ended the stalled stream, that memory stayed
 * bounded, and that the other reader received the stream.
 */
async function expectSlowReaderCut (port: number, requestLine: string, rounds: number, produce: (round: number) => void | Promise<void>, headers = ''): Promise<void> {
  const stalled = await openRaw(port, requestLine, headers)
  stalled.pause()
  const live = await openRaw(port, requestLine, headers)
  let received = 0
  live.on('data', (chunk: Buffer) => { received += chunk.length })

  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  for (let round = 0; round < rounds; round++) {
    await produce(round)
    if (round % 10 === 9 || rounds <= 200) await new Promise((resolve) => setTimeout(resolve, 5))
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  }
  // Reading again, the stalled client finds the end of a stream the server gave up on; a
  // stream still open would go on with heartbeats and never end.
  const ended = new Promise<boolean>((resolve) => {
    stalled.once('close', () => resolve(true))
    setTimeout(() => resolve(false), 10_000)
  })
  stalled.on('data', () => {})
  stalled.resume()
  try {
    expect(await ended).toBe(true)
    expect(rssPeak - rssBefore).toBeLessThan(150 * 1024 * 1024)
    expect(received).toBeGreaterThan(1024 * 1024)
  } finally {
    live.destroy()
    stalled.destroy()
  }
}

async function openRaw (port: number, requestLine: string, headers: string): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port })
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  socket.write(`${requestLine} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${headers}\r\n`)
  return socket
}
