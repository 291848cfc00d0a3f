import { afterEach, describe, expect, it } from 'vitest'
import { isSensorstadError } from '../../core/errors.js'
import type { Reading } from '../../core/reading.js'
import { CheckThread } from '../../ingest/check-thread.js'
import { MessageChecker, type MessageToCheck } from '../../ingest/message-check.js'
import { loadKind, NOW } from './helpers.js'

/**
 * CheckThread runs MessageChecker on a worker thread: the same verdicts, readings and
 * reasons as on the caller's thread, in the order the messages came, and no message lost
 * or left hanging when the thread dies.
 */
const kinds = ['wastebin', 'crowd', 'snuffelfiets'].map(loadKind)
const MAX_FUTURE_S = 300
const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url)

const message = (kind: string, channel: string, body: unknown, sensorId = `${kind}-1`): MessageToCheck =>
  ({ sensorId, kind, channel, now: NOW, payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) })

/** Valid and refused messages of every kind and channel, each refused for another reason. */
const MESSAGES: MessageToCheck[] = [
  message('wastebin', 'json', { fillingLevel: 40, temperature: 12.5, battery: 80 }),
  message('wastebin', 'senml', [{ bn: 'wastebin-1:', bt: NOW / 1000 - 60, n: 'fillingLevel', u: '%', v: 41 }, { n: 'temperature', u: 'Cel', v: 9.5, t: 30 }]),
  message('crowd', 'json', { peopleCount: 17 }),
  message('snuffelfiets', 'senml', [{ bn: 'bike:', n: 'pm25', u: 'ug/m3', v: 12 }, { n: 'lat', u: 'lat', v: 52.09 }, { n: 'lon', u: 'lon', v: 5.12 }]),
  message('wastebin', 'json', { fillingLevel: 40, note: 'a4:5e:60:d1:22:9b' }),
  message('wastebin', 'json', '{"fillingLevel": 40,'),
  message('wastebin', 'json', { fillingLevel: 40, colour: 3 }),
  message('wastebin', 'json', { fillingLevel: 140 }),
  message('wastebin', 'json', { fillingLevel: 40, time: (NOW + 3_600_000) / 1000 }),
  message('wastebin', 'xml', '<fill>40</fill>'),
  message('lamppost', 'json', { lux: 3 }),
  { ...message('crowd', 'json', ''), payload: Buffer.from([0x7b, 0xff, 0x7d]) },
  message('wastebin', 'json', '{"fillingLevel": 1e400}')
]

type Outcome = { readings: Reading[] } | { code: string, message: string, field: string | undefined }

async function outcome (run: () => Reading[] | Promise<Reading[]>): Promise<Outcome> {
  try {
    return { readings: await run() }
  } catch (err) {
    if (!isSensorstadError(err)) throw err
    return { code: err.code, message: err.message, field: err.field }
  }
}

describe('CheckThread', () => {
  const opened: CheckThread[] = []
  const open = (boot?: URL, onError?: (err: Error) => void): CheckThread => {
    const thread = new CheckThread(kinds, MAX_FUTURE_S, { boot, onError })
    opened.push(thread)
    return thread
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()))
  })

  it('gives the verdicts, readings and reasons the checker gives on this thread, each to its own message', async () => {
    const checker = new MessageChecker(kinds, MAX_FUTURE_S)
    const expected = await Promise.all(MESSAGES.map((m) => outcome(() => checker.check(m))))
    // Sanity of the fixture: valid messages and each kind of refusal are both there.
    expect(expected.filter((o) => 'readings' in o)).toHaveLength(4)
    expect(new Set(expected.flatMap((o) => 'code' in o ? [o.code] : [])).size).toBeGreaterThanOrEqual(7)

    const thread = open()
    await thread.start()
    // All in one turn of the event loop (one batch, on the thread), then each alone (on this
    // thread), then in reverse.
    expect(await Promise.all(MESSAGES.map((m) => outcome(() => thread.check(m))))).toEqual(expected)
    for (const [i, m] of MESSAGES.entries()) expect(await outcome(() => thread.check(m))).toEqual(expected[i])
    const reversed = [...MESSAGES].reverse()
    expect(await Promise.all(reversed.map((m) => outcome(() => thread.check(m))))).toEqual([...expected].reverse())
  })

  it('gives the same answers as on this thread for oversized and hostile payloads, and stays up', async () => {
    const checker = new MessageChecker(kinds, MAX_FUTURE_S)
    const bigPack = Array.from({ length: 3_000 }, (_, i) => ({ n: 'fillingLevel', u: '%', v: i % 100, t: -i }))
    const hostile: MessageToCheck[] = [
      // More readings than a message may hold (Ingest refuses the count; the thread reads them all).
      message('wastebin', 'senml', bigPack),
      // 256 KiB of text in one value, and nesting past the depth limit.
      message('wastebin', 'json', { fillingLevel: 40, note: 'x'.repeat(256 * 1024) }),
      message('wastebin', 'json', '['.repeat(10_000) + ']'.repeat(10_000)),
      // Keys that reach for the prototype, a NUL-laden payload, an empty one.
      message('wastebin', 'json', '{"__proto__": {"fillingLevel": 1}}'),
      message('wastebin', 'json', '\u0000'.repeat(1_000)),
      message('wastebin', 'json', '')
    ]
    const expected = await Promise.all(hostile.map((m) => outcome(() => checker.check(m))))
    expect(expected.map((o) => 'readings' in o ? o.readings.length : o.code)).toEqual([
      3_000, 'INGEST_ERR_UNDECLARED_FIELD', 'INGEST_ERR_MALFORMED', 'INGEST_ERR_FORBIDDEN_KEY', 'INGEST_ERR_MALFORMED', 'INGEST_ERR_MALFORMED'
    ])
    const thread = open()
    await thread.start()
    expect(await Promise.all(hostile.map((m) => outcome(() => thread.check(m))))).toEqual(expected)
    // Still answering afterwards, on the thread (three at once).
    const after = await Promise.all([MESSAGES[2]!, MESSAGES[2]!, MESSAGES[2]!].map((m) => thread.check(m)))
    expect(after.map((readings) => readings[0]!.value)).toEqual([17, 17, 17])
  })

  it('answers in the order the messages came, a lone one after those still on the thread', async () => {
    const thread = open()
    await thread.start()
    const order: string[] = []
    const send = (name: string): Promise<void> => thread.check(message('crowd', 'json', { peopleCount: name.length })).then(() => { order.push(name) })
    const batch = ['a', 'bb', 'ccc'].map(send)
    // A later turn of the event loop, while the three are on the thread.
    await new Promise((resolve) => setImmediate(resolve))
    const lone = send('dddd')
    await Promise.all([...batch, lone])
    expect(order).toEqual(['a', 'bb', 'ccc', 'dddd'])
  })

  it('rejects what the thread held when it dies, and checks the next message on a new thread', async () => {
    const heard: string[] = []
    const thread = open(fixture('dying-check-worker.mjs'), (err) => heard.push(err.message))
    await thread.start()
    const valid = MESSAGES[0]!
    const held = [valid, message('wastebin', 'json', 'die'), valid].map((m) => thread.check(m))
    for (const result of await Promise.allSettled(held)) {
      expect(result).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/check thread exited with code 3/) } })
    }
    // Three at once: more than are checked on this thread, so they go to a new one.
    const next = await Promise.all([valid, valid, valid].map((m) => thread.check(m)))
    expect(next.map((readings) => readings.map((r) => r.value))).toEqual([[40, 12.5, 80], [40, 12.5, 80], [40, 12.5, 80]])
    // Told once, not once per message; and closing the new thread is no failure.
    await thread.close()
    expect(heard).toEqual(['the ingest check thread exited with code 3; 3 messages it held go unacknowledged, for their sensors to send again'])
  })

  it('refuses to start when its thread cannot', async () => {
    const thread = open(fixture('broken-check-worker.mjs'))
    await expect(thread.start()).rejects.toThrow(/exited with code 1 while starting/)
  })

  it('refuses new messages once closed, after answering those it took', async () => {
    const thread = open()
    const pending = thread.check(MESSAGES[2]!)
    const closing = thread.close()
    await expect(thread.check(MESSAGES[2]!)).rejects.toThrow(/closing/)
    expect((await pending).map((r) => r.value)).toEqual([17])
    await closing
  })
})
