import { describe, expect, it } from 'vitest'
import { crowdCountTable } from '../../api/crowd-counts.js'
import type { Aggregate } from '../../core/reading.js'

/** A zone's count in a window is the sum of its monitors' mean counts. */
const T0 = Date.UTC(2026, 10, 30, 11)
const Q = 15 * 60_000

function agg (sensorId: string, start: number, values: number[]): Aggregate {
  return { sensorId, kind: 'crowd', field: 'peopleCount', window: '15m', start, count: values.length, sum: values.reduce((a, b) => a + b, 0), min: Math.min(...values), max: Math.max(...values) }
}

describe('crowdCountTable', () => {
  const zoneOf = new Map([['a1', 'a'], ['a2', 'a'], ['b1', 'b']])

  it('sums the mean count of each monitor of a zone, per window', () => {
    const table = crowdCountTable([agg('a1', T0, [10, 11]), agg('a2', T0, [20]), agg('b1', T0 + Q, [0, 0, 3])], zoneOf, ['a', 'b'], [T0, T0 + Q])
    expect(table).toEqual({ zones: ['a', 'b'], windows: [T0, T0 + Q], counts: [[30.5, null], [null, 1]] })
  })

  it('leaves out monitors of other zones, windows not asked for, and empty partials', () => {
    const table = crowdCountTable([
      agg('x1', T0, [99]),
      agg('a1', T0 + 7 * Q, [99]),
      { ...agg('b1', T0, [1]), count: 0, sum: 0 }
    ], zoneOf, ['a', 'b'], [T0])
    expect(table.counts).toEqual([[null, null]])
  })
})
