import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'
import type { RawOptions } from './query-options.js'

/**
 * The `$skiptoken` of an `@iot.nextLink` (OGC 18-088 section 9.3.3.7): base64url JSON of the
 * query options with `$skip` at the next page, and `asOf`, the clock time the first page was
 * answered at, so later pages read the same time range. It is opaque to clients but not
 * secret: whatever it says is validated again, and `asOf` is never trusted past the real clock.
 */
const cursorSchema = z.object({
  v: z.literal(1),
  o: z.record(z.string().regex(/^\$[a-z]+$/), z.string().max(4000)),
  t: z.number().int()
})
export type Cursor = { options: RawOptions, asOf: number }

export function encodeCursor (cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 1, o: cursor.options, t: cursor.asOf })).toString('base64url')
}

export function decodeCursor (token: string): Cursor {
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')))
    if (Object.hasOwn(parsed.o, '$skiptoken')) throw new Error('nested')
    return { options: parsed.o, asOf: parsed.t }
  } catch {
    throw new SensorstadError('API_ERR_VALIDATION', '$skiptoken is not one this server handed out; follow @iot.nextLink as given', '$skiptoken')
  }
}
