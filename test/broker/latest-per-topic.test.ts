import { afterEach, describe, expect, it, vi } from 'vitest'
import { LatestPerTopic } from '../../broker/latest-per-topic.js'

describe('LatestPerTopic', () => {
  afterEach(() => { vi.useRealTimers() })

  it('publishes the newest payload of each topic once per interval', async () => {
    vi.useFakeTimers()
    const sent: Array<[string, string]> = []
    const p = new LatestPerTopic(async (topic, payload) => { sent.push([topic, payload]) }, 1_000, () => {})
    for (let i = 0; i < 100; i++) p.offer('open/v1/wastebin/b1/fillingLevel', { value: i })
    p.offer('open/v1/wastebin/b2/fillingLevel', 'x')
    expect(sent).toEqual([])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(sent).toEqual([['open/v1/wastebin/b1/fillingLevel', '{"value":99}'], ['open/v1/wastebin/b2/fillingLevel', '"x"']])
    p.offer('open/v1/wastebin/b1/fillingLevel', 100)
    await vi.advanceTimersByTimeAsync(999)
    expect(sent).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(sent.at(-1)).toEqual(['open/v1/wastebin/b1/fillingLevel', '100'])
  })

  it('hands a failed publish to onError and goes on with the others', async () => {
    vi.useFakeTimers()
    const errors: unknown[] = []
    const sent: string[] = []
    const p = new LatestPerTopic(async (topic) => {
      if (topic === 'bad') throw new Error('broker closing')
      sent.push(topic)
    }, 10, (err) => errors.push(err))
    p.offer('bad', '1')
    p.offer('good', '2')
    await vi.advanceTimersByTimeAsync(10)
    expect(sent).toEqual(['good'])
    expect(errors).toHaveLength(1)
  })

  it('publishes what waits on close and takes nothing after', async () => {
    const sent: string[] = []
    const p = new LatestPerTopic(async (_topic, payload) => { sent.push(payload) }, 60_000, () => {})
    p.offer('t', 'last')
    await p.close()
    p.offer('t', 'too late')
    expect(sent).toEqual(['"last"'])
  })
})
