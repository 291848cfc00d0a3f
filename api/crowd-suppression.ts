/**
 * Privacy rule 8 (DESIGN.md section 5): small counts are suppressed in open crowd data. A
 * count of 3 people in a square at 04:00 can single someone out, so the public sees a
 * zone x window table in which no count or total lies in 1..k-1 and no withheld count can be
 * recovered by subtracting published ones from a published total. Pure: no I/O, no clock.
 *
 * Cell suppression with one linear relation per row (cells of a window add up to its total):
 * primary suppression hides the small cells, complementary suppression hides more cells of
 * the same row so the hidden part of the total is itself at least k and spread over at
 * least two cells: the threshold rule with complementary suppression that statistical offices
 * use for frequency tables, reduced to the one relation we publish.
 */

export interface CountTable {
  zones: string[]
  /** Window starts, epoch ms. */
  windows: number[]
  /** [window][zone]; null = no data. Counts are people, so never negative. */
  counts: Array<Array<number | null>>
}

export interface PublishedTable {
  zones: string[]
  windows: number[]
  /** [window][zone]; null = suppressed or no data (`suppressed` tells which). */
  cells: Array<Array<number | null>>
  suppressed: boolean[][]
  /**
   * Per window, the sum of all its cells; null = suppressed, or no data in the window
   * (`totalSuppressed` tells which).
   */
  totals: Array<number | null>
}

/** Whether the total of window row `w` is withheld, as opposed to absent for lack of data. */
export function totalSuppressed (table: PublishedTable, w: number): boolean {
  return table.totals[w] === null && (table.cells[w]?.some((c) => c !== null) === true || table.suppressed[w]?.some(Boolean) === true)
}

/**
 * Counts are rounded to whole people, then suppressed per window row:
 * - primary: a cell in 1..k-1 is withheld; 0 is published: an empty square identifies nobody;
 * - complementary: while the withheld cells of a row sum to less than k, the smallest
 *   published cell (zeros included, so a withheld cell may be a zero) is withheld too;
 * - when the whole row sums to less than k no choice of cells can protect it, so the row
 *   total is withheld instead and the complementary cells are published again: with no total
 *   to subtract from they protected nothing.
 */
export function suppressSmallCounts (table: CountTable, k: number): PublishedTable {
  checkK(k)
  const published: PublishedTable = { zones: [...table.zones], windows: [...table.windows], cells: [], suppressed: [], totals: [] }
  if (table.counts.length !== table.windows.length) throw new RangeError(`counts has ${table.counts.length} rows for ${table.windows.length} windows`)
  for (const counts of table.counts) {
    if (counts.length !== table.zones.length) throw new RangeError(`a row has ${counts.length} counts for ${table.zones.length} zones`)
    const row = suppressRow(counts.map(roundCount), k)
    published.cells.push(row.values.map((v, i) => row.hidden[i] === true ? null : v))
    published.suppressed.push(row.hidden)
    published.totals.push(row.totalHidden ? null : row.total)
  }
  return published
}

/**
 * Coarser windows (1h, 1d from 15m) built only from the published table, so two answers at
 * different windows can never be subtracted from each other to recover a withheld cell:
 * everything here is a function of what the finer answer already published.
 *
 * `factor` consecutive windows make one coarse window, which starts where its first part
 * does; the caller aligns the first window to a coarse boundary. A coarse cell is the mean of
 * its parts that have data (a count per window, like the finer ones), rounded, and is
 * withheld when any part is. With `k`, a coarse mean that rounds into 1..k-1 is withheld too:
 * it reveals nothing the finer table does not, but the public promise is "no count below k".
 * Totals follow the same rules over the finer totals, so a coarse total need not be the sum
 * of its coarse cells (each is rounded on its own and averages only its parts with data).
 */
export function rollUpPublished (table: PublishedTable, factor: number, k = 1): PublishedTable {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`factor must be a positive integer, not ${factor}`)
  checkK(k)
  if (table.windows.length % factor !== 0) throw new RangeError(`${table.windows.length} windows do not make whole groups of ${factor}`)
  const coarse: PublishedTable = { zones: [...table.zones], windows: [], cells: [], suppressed: [], totals: [] }
  for (let first = 0; first < table.windows.length; first += factor) {
    const rows = range(first, first + factor)
    coarse.windows.push(table.windows[first]!)
    const cells = table.zones.map((_, z) => meanOfParts(rows.map((w) => table.cells[w]?.[z] ?? null), rows.some((w) => table.suppressed[w]?.[z] === true), k))
    const total = meanOfParts(rows.map((w) => table.totals[w] ?? null), rows.some((w) => totalSuppressed(table, w)), k)
    coarse.cells.push(cells.map((c) => c.value))
    coarse.suppressed.push(cells.map((c) => c.hidden))
    coarse.totals.push(total.value)
  }
  return coarse
}

interface Part { value: number | null, hidden: boolean }

function meanOfParts (parts: Array<number | null>, anyHidden: boolean, k: number): Part {
  if (anyHidden) return { value: null, hidden: true }
  const present = parts.filter((v): v is number => v !== null)
  if (present.length === 0) return { value: null, hidden: false }
  const value = Math.round(present.reduce((a, b) => a + b, 0) / present.length)
  return isSmall(value, k) ? { value: null, hidden: true } : { value, hidden: false }
}

interface Row { values: Array<number | null>, hidden: boolean[], total: number | null, totalHidden: boolean }

function suppressRow (values: Array<number | null>, k: number): Row {
  const hidden = values.map((v) => v !== null && isSmall(v, k))
  const withData = values.flatMap((v, i) => v === null ? [] : [i])
  const total = withData.length === 0 ? null : withData.reduce((sum, i) => sum + values[i]!, 0)
  let hiddenSum = withData.reduce((sum, i) => sum + (hidden[i] === true ? values[i]! : 0), 0)
  let hiddenCount = hidden.filter(Boolean).length
  let totalHidden = false
  if (hiddenCount > 0 && (hiddenSum < k || hiddenCount === 1)) {
    // Smallest first costs the least information; ties go to the earlier zone so the
    // same data always gives the same answer (a cache or a second request cannot differ).
    const candidates = withData.filter((i) => hidden[i] !== true).sort((a, b) => values[a]! - values[b]! || a - b)
    const added: number[] = []
    for (const i of candidates) {
      if (hiddenSum >= k && hiddenCount >= 2) break
      hidden[i] = true
      added.push(i)
      hiddenSum += values[i]!
      hiddenCount++
    }
    if (hiddenSum < k || hiddenCount < 2) {
      for (const i of added) hidden[i] = false
      totalHidden = true
    }
  }
  return { values, hidden, total, totalHidden }
}

function roundCount (value: number | null): number | null {
  if (value === null) return null
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`a count must be a finite number >= 0, not ${value}`)
  // `+ 0` turns the -0 that Math.round(-0.2) would give into 0; counts are never negative.
  return Math.round(value) + 0
}

function isSmall (value: number, k: number): boolean {
  return value >= 1 && value < k
}

function checkK (k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, not ${k}`)
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}
