import { z } from 'zod'

/**
 * Cursor paging of /v1/observations. Rows come ordered by (sensorId, field, time), which is
 * unique per row (the store keeps each key once), so the last row of a page is a position
 * from which the next page starts strictly after it: following `next` to the end yields every
 * row exactly once, even while new readings arrive, as long as `from` and `to` stay fixed
 * (the next link pins them). The cursor is opaque to clients: base64url (RFC 4648 section 5)
 * of a JSON array, so its shape may change without a change to the API contract.
 */
export interface Position {
  sensorId: string
  field: string
  /** Epoch ms of the reading, or of the window start for aggregates. */
  time: number
}

// Sensor ids are at most 64 characters (core/topics.ts ID_PATTERN); a longer one cannot name
// a row, so the cursor is refused rather than queried. Field names are short identifiers.
const positionSchema = z.tuple([z.string().min(1).max(64), z.string().min(1).max(256), z.number().int()])

export function encodeCursor (position: Position): string {
  return Buffer.from(JSON.stringify([position.sensorId, position.field, position.time])).toString('base64url')
}

/** The `cursor` query parameter; a cursor we did not make is a 400 naming `cursor`. */
export const cursorParam = z.string().max(600).transform((value, ctx): Position => {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
  } catch {
    parsed = undefined
  }
  const result = positionSchema.safeParse(parsed)
  if (!result.success) {
    ctx.addIssue({ code: 'custom', message: 'not a cursor of this API; follow the `next` link of the previous page' })
    return z.NEVER
  }
  const [sensorId, field, time] = result.data
  return { sensorId, field, time }
})

export interface SeriesRange { sensorIds: string[], from: number }

/**
 * The store queries, for one (kind, field), that together hold exactly the rows after
 * `after` within `[from, to)`: the cursor's own sensor later in time (same field) or in a
 * later field, and every sensor after it. Ids and fields compare by code unit, as the store
 * orders them (ids are ASCII, core/topics.ts).
 */
export function rangesAfter (sensorIds: readonly string[], field: string, from: number, to: number, after: Position | undefined): SeriesRange[] {
  if (after === undefined) return sensorIds.length === 0 ? [] : [{ sensorIds: [...sensorIds], from }]
  const ranges: SeriesRange[] = []
  if (sensorIds.includes(after.sensorId)) {
    // Store times are integer ms, so "after t" is "from t + 1" (ranges are half-open).
    const start = field === after.field ? Math.max(from, after.time + 1) : field > after.field ? from : to
    if (start < to) ranges.push({ sensorIds: [after.sensorId], from: start })
  }
  const later = sensorIds.filter((id) => id > after.sensorId)
  if (later.length > 0) ranges.push({ sensorIds: later, from })
  return ranges
}

/**
 * The next page's address as a path-absolute reference (RFC 3986 section 4.2), valid in a
 * Link header (RFC 8288 section 3.1) and resolved by clients against the URL they asked. It
 * is not made absolute because behind a TLS-terminating proxy this process does not know
 * the scheme and host the client used. Every other parameter is kept; `from` and `to` are
 * pinned to the first page's values, so a default "last 24 hours" does not slide while a
 * client pages.
 */
export function nextPageUrl (requestUrl: string, position: Position, from: number, to: number): string {
  const url = new URL(requestUrl, 'http://placeholder.invalid')
  url.searchParams.set('from', new Date(from).toISOString())
  url.searchParams.set('to', new Date(to).toISOString())
  url.searchParams.set('cursor', encodeCursor(position))
  return `${url.pathname}?${url.searchParams.toString()}`
}
