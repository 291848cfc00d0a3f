import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js'

/**
 * A burst of publishes larger than aedes' delivery concurrency while a live subscriber reads:
 * with mqemitter's default of 100 deliveries in progress, the rest queue and drain by
 * recursion and an Array.shift per message: past about 100,000 it stalls (quadratic) or ends
 * in "Maximum call stack size exceeded" (bare aedes dies of it under the bench's overload). Every publish must complete and the subscriber
 * must hear its share.
 */
interface Mq {
  on (topic: string, listener: (packet: unknown, cb: () => void) => void): void
  removeListener (topic: string, listener: (packet: unknown, cb: () => void) => void): void
}

describe('a publish burst past the delivery concurrency', () => {
  let p: TestPlatform
  beforeAll(async () => { p = await startTestPlatform() })
  afterAll(async () => { await p.destroy() })

  it('completes every publish and delivers to the live subscriber', async () => {
    const reader = await mqtt.connectAsync({ host: '127.0.0.1', port: p.mqttPort, clientId: 'open-flood-reader', reconnectPeriod: 0 })
    await reader.subscribeAsync('open/v1/#')
    const heard = { count: 0 }
    reader.on('message', () => { heard.count++ })
    // A congested reader: its deliveries finish on a later turn (as a socket waiting for
    // 'drain' does), so deliveries in progress pile up to the concurrency limit.
    const slow = (_packet: unknown, cb: () => void): void => { setImmediate(cb) }
    const { mq } = p.broker.aedes as unknown as { mq: Mq }
    mq.on('open/v1/#', slow)

    const N = 200_000
    let done = 0
    const all = Array.from({ length: N }, async (_, i) => {
      // Half match the subscriber (async deliveries fill the concurrency), half match nobody
      // (deliveries that complete at once, which is what recursed).
      await p.broker.publish(i % 2 === 0 ? `open/v1/flood/${i % 50}` : `nobody/listens/${i}`, 'x')
      done++
    })
    const finished = await Promise.race([
      Promise.all(all).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000))
    ])
    expect({ finished, done }).toEqual({ finished: true, done: N })
    const deadline = Date.now() + 10_000
    while (heard.count < N / 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(heard.count).toBe(N / 2)
    mq.removeListener('open/v1/#', slow)
    await reader.endAsync()
  }, 40_000)
})
