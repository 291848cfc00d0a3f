import { createConnection, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Reading } from '../../core/reading.js'
import { registerSensor, startTestPlatform, type TestPlatform } from '../helpers/platform.js'

/**
 * A /v1/live reader that stops reading must not make the process buffer the feed for it
 * without bound: past a megabyte waiting, the stream is ended (its EventSource reconnects),
 * and a reader that keeps up goes on receiving.
 */
describe('/v1/live with a reader that stops reading', () => {
  let p: TestPlatform
  beforeAll(async () => {
    p = await startTestPlatform()
    await registerSensor(p, 'wastebin', 'bin-firehose')
  })
  afterAll(async () => { await p.destroy() })

  it('ends the stalled stream, keeps memory bounded and serves the others', async () => {
    const stalled = await openRaw(p.httpPort)
    stalled.pause()
    const live = await openRaw(p.httpPort)
    let received = 0
    live.on('data', (chunk: Buffer) => { received += chunk.length })

    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const t0 = Date.now() - 3_600_000
    // About 40 MB of events, far past what the kernel's socket buffers hold.
    for (let batch = 0; batch < 200; batch++) {
      const readings: Reading[] = Array.from({ length: 1_000 }, (_, i) => ({ sensorId: 'bin-firehose', kind: 'wastebin', field: 'fillingLevel', time: t0 + batch * 1_000 + i, value: i % 100 }))
      p.live.push(readings)
      await new Promise((resolve) => setTimeout(resolve, 5))
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
    expect(await ended).toBe(true)
    expect(rssPeak - rssBefore).toBeLessThan(150 * 1024 * 1024)
    expect(received).toBeGreaterThan(1024 * 1024)
    live.destroy()
    stalled.destroy()
  }, 60_000)
})

async function openRaw (port: number): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port })
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  socket.write('GET /v1/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
  return socket
}
