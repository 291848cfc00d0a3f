import { describe, expect, it } from 'vitest'
import type { Reading } from '../../core/reading.js'
import { LatestReadings } from '../../store/latest-readings.js'

const r = (sensorId: string, field: string, time: number, value: number, kind = 'air'): Reading => ({ sensorId, kind, field, time, value })

describe('LatestReadings', () => {
  it('keeps the newest per series, the later write at equal times, in code-point order of sensor and field', () => {
    const latest = new LatestReadings()
    for (const reading of [r('b', 'pm25', 5, 1), r('b', 'pm25', 4, 2), r('b', 'pm25', 5, 3), r('a', 'no2', 1, 4), r('a', 'm', 1, 5), r('\u{1F600}', 'x', 1, 6), r('\uFF21', 'x', 1, 7), r('a-b', 'x', 1, 8)]) latest.offer(reading)
    expect(latest.query({}).map((x) => [x.sensorId, x.field, x.value])).toEqual([
      ['a', 'm', 5], ['a', 'no2', 4], ['a-b', 'x', 8], ['b', 'pm25', 3], ['\uFF21', 'x', 7], ['\u{1F600}', 'x', 6]
    ])
    expect(latest.query({ sensorIds: ['a', 'b'], field: 'pm25' })).toEqual([r('b', 'pm25', 5, 3)])
    expect(latest.query({ kind: 'water' })).toEqual([])
    expect(latest.size).toBe(6)
  })

  it('hands out copies, so a caller cannot change what it holds', () => {
    const latest = new LatestReadings()
    latest.offer(r('a', 'pm25', 1, 1))
    latest.query({})[0]!.value = 99
    latest.takeChanged()[0]!.value = 98
    expect(latest.query({})).toEqual([r('a', 'pm25', 1, 1)])
  })

  it('reports each series changed since the last take once, and again when handed back', () => {
    const latest = new LatestReadings()
    latest.offer(r('a', 'pm25', 1, 1))
    latest.offer(r('a', 'pm25', 2, 2))
    latest.offer(r('b', 'pm25', 1, 3))
    const taken = latest.takeChanged()
    expect(taken).toEqual([r('a', 'pm25', 2, 2), r('b', 'pm25', 1, 3)])
    expect(latest.changed).toBe(0)
    latest.offer(r('a', 'pm25', 1, 9))
    expect(latest.changed).toBe(0)
    latest.returnChanged(taken)
    latest.offer(r('c', 'pm25', 1, 4))
    expect(latest.takeChanged().map((x) => x.sensorId)).toEqual(['a', 'b', 'c'])
  })
})
