import { afterEach, describe, expect, it } from 'vitest'
import { busChannel, type EventBus } from '../../core/ports/event-bus.js'

/**
 * The behaviour every `EventBus` must show (core/ports/event-bus.ts), in the manner of the
 * store conformance suites. `open` gives two buses as two processes would have them: for the
 * in-process bus both are the same instance, for Redis two connections to one server.
 * Channel names are unique per test, so a shared server needs no cleaning.
 */
export function eventBusConformance (name: string, open: () => Promise<[EventBus, EventBus]>): void {
  describe(`EventBus conformance: ${name}`, () => {
    let buses: EventBus[] = []
    let n = 0
    const channel = <T>(what: string) => busChannel<T>(`test-${process.pid}-${Date.now()}-${++n}-${what}`)
    const pair = async (): Promise<[EventBus, EventBus]> => {
      const opened = await open()
      buses.push(...opened)
      return opened
    }

    afterEach(async () => {
      for (const bus of new Set(buses)) await bus.close()
      buses = []
    })

    it('delivers a JSON message to a subscriber of another process, equal to what was sent', async () => {
      const [a, b] = await pair()
      const ch = channel<{ sensorId: string, values: number[], nested: { ok: boolean, none: null } }>('json')
      const got = received(b, ch)
      await got.ready
      const message = { sensorId: 'bin-1', values: [1, 2.5, -3], nested: { ok: true, none: null } }
      await a.publish(ch, message)
      expect(await got.next()).toEqual(message)
    })

    it('delivers to every subscriber, on both sides, and keeps channels apart', async () => {
      const [a, b] = await pair()
      const one = channel<string>('one')
      const two = channel<string>('two')
      const onA = received(a, one)
      const onB = received(b, one)
      const onTwo = received(b, two)
      await Promise.all([onA.ready, onB.ready, onTwo.ready])
      await a.publish(one, 'for one')
      await a.publish(two, 'for two')
      expect(await onA.next()).toBe('for one')
      expect(await onB.next()).toBe('for one')
      expect(await onTwo.next()).toBe('for two')
      await settle()
      expect(onA.all).toEqual(['for one'])
      expect(onTwo.all).toEqual(['for two'])
    })

    it('keeps the order of one publisher', async () => {
      const [a, b] = await pair()
      const ch = channel<number>('order')
      const got = received(b, ch)
      await got.ready
      await Promise.all(Array.from({ length: 200 }, (_, i) => a.publish(ch, i)))
      await eventually(() => got.all.length === 200)
      expect(got.all).toEqual(Array.from({ length: 200 }, (_, i) => i))
    })

    it('keeps nothing: a message published before the subscription is not delivered', async () => {
      const [a, b] = await pair()
      const ch = channel<string>('late')
      await a.publish(ch, 'before')
      const got = received(b, ch)
      await got.ready
      await a.publish(ch, 'after')
      expect(await got.next()).toBe('after')
      await settle()
      expect(got.all).toEqual(['after'])
    })

    it('stops delivering after unsubscribe, to that handler only', async () => {
      const [a, b] = await pair()
      const ch = channel<string>('unsub')
      const stays = received(b, ch)
      const leaves = received(b, ch)
      await Promise.all([stays.ready, leaves.ready])
      await (await leaves.ready)()
      await a.publish(ch, 'after')
      expect(await stays.next()).toBe('after')
      await settle()
      expect(leaves.all).toEqual([])
    })

    it('goes on delivering to the others when one handler throws', async () => {
      const [a, b] = await pair()
      const ch = channel<string>('throws')
      await b.subscribe(ch, () => { throw new Error('handler bug') })
      const got = received(b, ch)
      await got.ready
      await a.publish(ch, 'x')
      await a.publish(ch, 'y')
      await eventually(() => got.all.length === 2)
      expect(got.all).toEqual(['x', 'y'])
    })
  })
}

function received<T> (bus: EventBus, ch: ReturnType<typeof busChannel<T>>) {
  const all: T[] = []
  let read = 0
  const ready = bus.subscribe(ch, (message) => { all.push(message) })
  return {
    all,
    ready,
    async next (): Promise<T> {
      await eventually(() => all.length > read)
      return all[read++]!
    }
  }
}

async function eventually (check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not delivered in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Long enough for a stray message over loopback Redis to have arrived. */
function settle (): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100))
}
