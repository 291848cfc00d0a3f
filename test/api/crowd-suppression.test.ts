import { describe, expect, it } from 'vitest'
import { rollUpPublished, suppressSmallCounts, totalSuppressed, type CountTable, type PublishedTable } from '../../api/crowd-suppression.js'

/**
 * Privacy rule 8: no published crowd count or total below k, and no withheld count that a
 * reader can recover by subtracting published counts from a published total. Unit cases
 * name the rules; property cases check the guarantee over thousands of random tables full
 * of small numbers, from a seeded generator so a failure replays.
 */
const K = 15
const T0 = Date.UTC(2026, 10, 30)
const QUARTER = 15 * 60_000

function table (counts: Array<Array<number | null>>): CountTable {
  const zones = (counts[0] ?? []).map((_, i) => `zone-${i}`)
  return { zones, windows: counts.map((_, i) => T0 + i * QUARTER), counts }
}

function oneRow (counts: Array<number | null>, k = K) {
  const p = suppressSmallCounts(table([counts]), k)
  return { cells: p.cells[0], suppressed: p.suppressed[0], total: p.totals[0], totalSuppressed: totalSuppressed(p, 0) }
}

describe('suppressSmallCounts', () => {
  it('publishes zeros and counts of at least k as they are, with their total', () => {
    expect(oneRow([0, 15, 200])).toEqual({ cells: [0, 15, 200], suppressed: [false, false, false], total: 215, totalSuppressed: false })
  })

  it('rounds counts (means of monitors) to whole people before deciding', () => {
    expect(oneRow([14.5, 0.4, 40.2, 30])).toEqual({ cells: [15, 0, 40, 30], suppressed: [false, false, false, false], total: 85, totalSuppressed: false })
    expect(oneRow([14.4, 40, 30]).suppressed).toEqual([true, false, true])
  })

  it('withholds a small count and the next smallest cell, so the total minus the rest is not the small count', () => {
    expect(oneRow([5, 100, 200])).toEqual({ cells: [null, null, 200], suppressed: [true, true, false], total: 305, totalSuppressed: false })
  })

  it('withholds zeros as complements too, and keeps going until the withheld part is at least k', () => {
    // 5 + 0 + 0 = 5 < 15, so the 30 goes as well: a reader learns only that three zones hold 35.
    expect(oneRow([5, 0, 30, 0, 40])).toEqual({ cells: [null, null, null, null, 40], suppressed: [true, true, true, true, false], total: 75, totalSuppressed: false })
  })

  it('needs no complement when two small counts already sum to k or more', () => {
    expect(oneRow([8, 9, 100])).toEqual({ cells: [null, null, 100], suppressed: [true, true, false], total: 117, totalSuppressed: false })
  })

  it('withholds the total instead when the whole window holds fewer than k, and publishes the rest', () => {
    expect(oneRow([5, 3, 0])).toEqual({ cells: [null, null, 0], suppressed: [true, true, false], total: null, totalSuppressed: true })
    expect(oneRow([7, null])).toEqual({ cells: [null, null], suppressed: [true, false], total: null, totalSuppressed: true })
  })

  it('tells a window without data from a withheld total', () => {
    expect(oneRow([null, null])).toEqual({ cells: [null, null], suppressed: [false, false], total: null, totalSuppressed: false })
    expect(oneRow([null, 0])).toEqual({ cells: [null, 0], suppressed: [false, false], total: 0, totalSuppressed: false })
  })

  it('breaks ties between equal complements by zone order, so the same data always gives the same answer', () => {
    expect(oneRow([5, 20, 20]).suppressed).toEqual([true, true, false])
    expect(oneRow([20, 20, 5]).suppressed).toEqual([true, false, true])
  })

  it('decides each window on its own', () => {
    const p = suppressSmallCounts(table([[5, 100], [50, 100]]), K)
    expect(p.cells).toEqual([[null, null], [50, 100]])
    expect(p.totals).toEqual([105, 150])
    expect(p.windows).toEqual([T0, T0 + QUARTER])
  })

  it('refuses negative or non-finite counts, a bad k and a ragged table', () => {
    expect(() => suppressSmallCounts(table([[-1, 5]]), K)).toThrow(RangeError)
    expect(() => suppressSmallCounts(table([[Number.NaN]]), K)).toThrow(RangeError)
    expect(() => suppressSmallCounts(table([[1]]), 0)).toThrow(RangeError)
    expect(() => suppressSmallCounts(table([[1]]), 2.5)).toThrow(RangeError)
    expect(() => suppressSmallCounts({ zones: ['a', 'b'], windows: [T0], counts: [[1]] }, K)).toThrow(RangeError)
    expect(() => suppressSmallCounts({ zones: ['a'], windows: [T0, T0 + QUARTER], counts: [[1]] }, K)).toThrow(RangeError)
  })
})

describe('rollUpPublished', () => {
  it('builds a coarse cell as the rounded mean of its published parts', () => {
    const fine = suppressSmallCounts(table([[20, 100], [30, 100], [41, 100], [50, 101]]), K)
    const hour = rollUpPublished(fine, 4, K)
    expect(hour.windows).toEqual([T0])
    expect(hour.cells).toEqual([[35, 100]])
    expect(hour.suppressed).toEqual([[false, false]])
    // The mean of the totals, 135.5, rounds on its own: it need not be the sum of the cells.
    expect(hour.totals).toEqual([136])
  })

  it('withholds a coarse cell when any part was withheld, and a coarse total when any part total was', () => {
    // Window 0 withholds both zones (5 and its complement 20); window 2's total is 6 < k.
    const fine = suppressSmallCounts(table([[5, 20, 100], [30, 30, 100], [6, 0, null], [30, 30, 100]]), K)
    expect(fine.totals).toEqual([125, 160, null, 160])
    const half = rollUpPublished(fine, 2, K)
    expect(half.suppressed).toEqual([[true, true, false], [true, false, false]])
    expect(half.cells).toEqual([[null, null, 100], [null, 15, 100]])
    expect(half.totals).toEqual([143, null])
    expect(totalSuppressed(half, 1)).toBe(true)
  })

  it('averages only the parts with data, and leaves a coarse window without data empty', () => {
    const fine = suppressSmallCounts(table([[null, null], [40, null], [null, null], [60, null]]), K)
    const hour = rollUpPublished(fine, 4, K)
    expect(hour.cells).toEqual([[50, null]])
    expect(hour.suppressed).toEqual([[false, false]])
    const empty = rollUpPublished(suppressSmallCounts(table([[null], [null]]), K), 2, K)
    expect(empty).toMatchObject({ cells: [[null]], suppressed: [[false]], totals: [null] })
    expect(totalSuppressed(empty, 0)).toBe(false)
  })

  it('withholds a coarse mean below k when given k (0, 0, 0 and 15 average to 4 people)', () => {
    const fine = suppressSmallCounts(table([[0, 100], [0, 100], [0, 100], [15, 100]]), K)
    expect(fine.suppressed.flat().some(Boolean)).toBe(false)
    expect(rollUpPublished(fine, 4, K).cells).toEqual([[null, 100]])
    expect(rollUpPublished(fine, 4, K).suppressed).toEqual([[true, false]])
    expect(rollUpPublished(fine, 4).cells).toEqual([[4, 100]])
  })

  it('refuses windows that do not make whole groups, and a bad factor', () => {
    const fine = suppressSmallCounts(table([[1], [2], [3]]), K)
    expect(() => rollUpPublished(fine, 2)).toThrow(RangeError)
    expect(() => rollUpPublished(fine, 0)).toThrow(RangeError)
    expect(() => rollUpPublished(fine, 1.5)).toThrow(RangeError)
  })
})

// --- properties ---

/** mulberry32: a small seeded PRNG, so a failing table can be replayed from its seed. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const RUNS = 1_000

interface Case { seed: number, k: number, table: CountTable }

/** Mostly small numbers (night-time crowds), some zeros, gaps and large counts, some fractional means. */
function randomCase (seed: number, rowsMultipleOf = 1): Case {
  const rand = prng(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))
  const k = [1, 2, 3, 5, 10, 15, 15, 15, 50][int(0, 8)]!
  const zones = int(1, 14)
  const windows = int(1, 6) * rowsMultipleOf
  const value = (): number | null => {
    const r = rand()
    if (r < 0.08) return null
    if (r < 0.25) return 0
    if (r < 0.65) return int(1, Math.max(1, k - 1))
    if (r < 0.75) return rand() * 2 * k
    if (r < 0.9) return int(k, 2 * k)
    return int(k, 500)
  }
  // A few rows are all-small or all-empty: the corners where totals must go.
  const row = (): Array<number | null> => {
    const shape = rand()
    if (shape < 0.05) return Array.from({ length: zones }, () => null)
    if (shape < 0.15) return Array.from({ length: zones }, () => rand() < 0.5 ? 0 : int(1, Math.max(1, Math.floor(k / 3))))
    return Array.from({ length: zones }, value)
  }
  const counts = Array.from({ length: windows }, row)
  return { seed, k, table: { zones: counts[0]!.map((_, i) => `z${i}`), windows: counts.map((_, i) => T0 + i * QUARTER), counts } }
}

const isSmall = (v: number | null, k: number) => v !== null && v >= 1 && v < k
const rounded = (v: number | null) => v === null ? null : Math.round(v)

function forAllCases (check: (c: Case, p: PublishedTable) => void, rowsMultipleOf = 1): number {
  let checked = 0
  for (let seed = 1; seed <= RUNS; seed++) {
    const c = randomCase(seed, rowsMultipleOf)
    const p = suppressSmallCounts(c.table, c.k)
    try {
      check(c, p)
    } catch (err) {
      throw new Error(`seed ${seed}, k ${c.k}, counts ${JSON.stringify(c.table.counts)}: ${(err as Error).message}`)
    }
    checked++
  }
  return checked
}

describe('suppressSmallCounts, properties over random tables', () => {
  it('never publishes a cell or a total in 1..k-1', () => {
    expect(forAllCases(({ k }, p) => {
      for (const v of p.cells.flat()) expect(isSmall(v, k), `cell ${v}`).toBe(false)
      for (const v of p.totals) expect(isSmall(v, k), `total ${v}`).toBe(false)
    })).toBe(RUNS)
  })

  it('publishes every cell it does not withhold as the rounded count, and withholds no empty cell', () => {
    expect(forAllCases(({ table }, p) => {
      table.counts.forEach((row, w) => row.forEach((count, z) => {
        if (p.suppressed[w]![z]) {
          expect(p.cells[w]![z]).toBeNull()
          expect(count).not.toBeNull()
        } else {
          expect(p.cells[w]![z]).toBe(rounded(count))
        }
      }))
    })).toBe(RUNS)
  })

  it('leaves no withheld cell to be found by differencing a row against its published total', () => {
    expect(forAllCases(({ table, k }, p) => {
      table.counts.forEach((row, w) => {
        const hidden = row.flatMap((count, z) => p.suppressed[w]![z] ? [rounded(count)!] : [])
        const total = p.totals[w]!
        if (hidden.length === 1) expect(total, 'one withheld cell with a published total').toBeNull()
        if (total === null) return
        const trueTotal = row.reduce<number>((sum, count) => sum + (rounded(count) ?? 0), 0)
        expect(total).toBe(trueTotal)
        const residual = total - p.cells[w]!.reduce<number>((sum, v) => sum + (v ?? 0), 0)
        expect(residual).toBe(hidden.reduce((a, b) => a + b, 0))
        if (hidden.length === 0) {
          expect(residual).toBe(0)
        } else {
          expect(residual, 'withheld part of a published total').toBeGreaterThanOrEqual(k)
          expect(hidden.length).toBeGreaterThanOrEqual(2)
        }
      })
    })).toBe(RUNS)
  })

  it('withholds nothing in a window without small counts, and a total (then with no complements) only when the window holds fewer than k', () => {
    expect(forAllCases(({ table, k }, p) => {
      table.counts.forEach((row, w) => {
        const values = row.map(rounded)
        if (!values.some((v) => isSmall(v, k))) {
          expect(p.suppressed[w]!.some(Boolean)).toBe(false)
          expect(totalSuppressed(p, w)).toBe(false)
        }
        const sum = values.reduce<number>((a, v) => a + (v ?? 0), 0)
        expect(totalSuppressed(p, w)).toBe(isSmall(sum, k))
        // With the total gone there is nothing to subtract from: complements would be waste.
        if (totalSuppressed(p, w)) expect(values.filter((v, z) => p.suppressed[w]![z] && !isSmall(v, k))).toEqual([])
      })
    })).toBe(RUNS)
  })
})

describe('rollUpPublished, properties over random tables', () => {
  const FACTOR = 4

  it('publishes a coarse cell only when every part was published, as their rounded mean, never in 1..k-1', () => {
    expect(forAllCases(({ k }, p) => {
      const coarse = rollUpPublished(p, FACTOR, k)
      expect(coarse.windows).toEqual(p.windows.filter((_, i) => i % FACTOR === 0))
      coarse.windows.forEach((_, g) => {
        const parts = Array.from({ length: FACTOR }, (_, i) => g * FACTOR + i)
        coarse.zones.forEach((_, z) => {
          const value = coarse.cells[g]![z]!
          const anyPartHidden = parts.some((w) => p.suppressed[w]![z])
          if (anyPartHidden) expect(coarse.suppressed[g]![z]).toBe(true)
          if (coarse.suppressed[g]![z]) {
            expect(value).toBeNull()
            return
          }
          expect(anyPartHidden).toBe(false)
          expect(isSmall(value, k)).toBe(false)
          const present = parts.map((w) => p.cells[w]![z]!).filter((v) => v !== null)
          expect(value).toBe(present.length === 0 ? null : Math.round(present.reduce((a, b) => a + b, 0) / present.length))
        })
        const total = coarse.totals[g]!
        expect(isSmall(total, k)).toBe(false)
        if (parts.some((w) => totalSuppressed(p, w))) {
          expect(totalSuppressed(coarse, g)).toBe(true)
        } else if (total !== null) {
          const present = parts.map((w) => p.totals[w]!).filter((v) => v !== null)
          expect(total).toBe(Math.round(present.reduce((a, b) => a + b, 0) / present.length))
        }
      })
    }, FACTOR)).toBe(RUNS)
  })

  it('with a factor of 1 gives back the published table unchanged', () => {
    expect(forAllCases(({ k }, p) => {
      expect(rollUpPublished(p, 1, k)).toEqual(p)
    })).toBe(RUNS)
  })
})
