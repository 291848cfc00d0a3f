import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'
import { countsPrivacySchema } from '../../core/kind.js'
import type { Role } from '../../core/sensor.js'
import { WINDOW_MS, WINDOWS, windowStart, type Window } from '../../core/windows.js'
import { toCsv } from '../csv.js'
import { rollUpPublished, suppressSmallCounts, totalSuppressed, type CountTable, type PublishedTable } from '../crowd-suppression.js'
import { optionalPrincipal } from '../plugins/auth.js'
import { zoneCounts } from '../zone-counts.js'
import { timeParam } from '../schemas.js'

/**
 * People per zone and window (privacy rule 8, DESIGN.md section 5). Open data without a
 * token: windows no finer than the kind's `minPublicWindow`, lagging real time by
 * `publicLagS`, counts below k suppressed. With an enforcement or admin token: exact,
 * real-time counts for any window of the kind.
 */
const KIND = 'crowd'
const DAY_MS = 86_400_000
/** Windows read from the store per request (15-minute windows: about 104 days). */
const MAX_WINDOWS = 10_000
const EXACT_ROLES: readonly Role[] = ['enforcement', 'admin']
const CSV_COLUMNS = ['zone', 'start', 'window', 'count', 'suppressed'] as const

const crowdQuerySchema = z.object({
  zone: z.string().optional().describe('One zone id; default all zones. Suppression is decided over all zones either way, so one zone at a time reveals nothing more'),
  from: timeParam.optional().describe('Start (inclusive), rounded down to a window boundary; default 24 hours before `to`'),
  to: timeParam.optional().describe('End (exclusive); default now. Without a token, at most now minus the public lag, rounded down to a window boundary'),
  window: z.enum(WINDOWS).optional().describe('Default: the finest public window of the kind (15m). Without a token, no finer than that'),
  format: z.enum(['json', 'csv']).default('json')
})

const crowdCountSchema = z.object({
  zone: z.string(),
  start: z.string().describe('RFC 3339, start of the window'),
  window: z.enum(WINDOWS),
  count: z.number().nullable().describe('People in the zone: the sum over its crowd monitors of each one\'s mean count in the window; rounded without a token. Null when suppressed or without data'),
  suppressed: z.boolean().describe('Withheld to protect small counts (privacy rule 8)')
}).meta({
  id: 'CrowdCount',
  examples: [
    { zone: 'vredenburg', start: '2026-11-30T08:00:00.000Z', window: '15m', count: 412, suppressed: false },
    { zone: 'neude', start: '2026-11-30T08:00:00.000Z', window: '15m', count: null, suppressed: true }
  ]
})

const crowdTotalSchema = crowdCountSchema.omit({ zone: true }).meta({ id: 'CrowdTotal' })

const crowdResponseSchema = z.object({
  data: z.array(crowdCountSchema),
  totals: z.array(crowdTotalSchema).describe('Per window, all zones together (also when `zone` names one)'),
  k: z.number().int().nullable().describe('Counts below k are suppressed; null behind a token (exact counts)'),
  lagSeconds: z.number().int().describe('How far the newest window lags real time at least; 0 behind a token')
}).meta({ id: 'CrowdCounts' })
type CrowdCount = z.infer<typeof crowdCountSchema>

const crowdRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/crowd', {
    schema: {
      tags: ['open data'],
      summary: 'People per zone and window, small counts suppressed',
      description: 'Without a token: open data, windows of 15m or coarser, lagging real time, counts below k withheld (with complementary suppression so a withheld count cannot be recovered from the total). 1h and 1d are built from the published 15m table only. With an enforcement or admin token: exact, real-time counts for any window, 1m included. `format=csv` answers RFC 4180 CSV of `data` (no totals).',
      // Either anonymous or bearer (OpenAPI 3.1: an empty requirement makes auth optional).
      security: [{}, { bearer: [] }],
      querystring: crowdQuerySchema,
      response: { 200: crowdResponseSchema.describe('JSON; with format=csv, text/csv with columns zone,start,window,count,suppressed') }
    }
  }, async (request, reply) => {
    const principal = await optionalPrincipal(request, reply)
    if (principal !== undefined && !EXACT_ROLES.includes(principal.role)) {
      throw new SensorstadError('API_ERR_FORBIDDEN', `Exact counts need role ${EXACT_ROLES.join(' or ')}; your token has role ${principal.role}. Leave the token out for open data`)
    }
    const exact = principal !== undefined
    // One URL, two answers: a shared cache must not hand the open answer to a token holder.
    const vary = reply.getHeader('vary')
    reply.header('vary', vary === undefined ? 'Authorization' : `${String(vary)}, Authorization`)
    reply.header('cache-control', exact ? 'no-store' : 'public, max-age=60')

    const { registry, store } = app.deps
    const kind = registry.kinds.get(KIND)
    if (kind === undefined) throw new SensorstadError('REGISTRY_ERR_UNKNOWN_KIND', `No kind ${KIND}; see GET /v1/kinds`)
    // A crowd kind without a counts policy still gets the defaults: open counts are never exact by omission.
    const policy = kind.privacy.counts ?? countsPrivacySchema.parse({ field: 'peopleCount' })
    const q = request.query
    const window = q.window ?? policy.minPublicWindow
    const publicWindows = kind.windows.filter((w) => WINDOW_MS[w] >= WINDOW_MS[policy.minPublicWindow])
    const allowed = exact ? kind.windows : publicWindows
    if (!allowed.includes(window)) {
      throw new SensorstadError('API_ERR_VALIDATION', `window must be one of ${allowed.join(', ')}${exact ? '' : ' without a token (finer windows are for enforcement)'}`, 'window')
    }
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new SensorstadError('API_ERR_VALIDATION', '`from` must be before `to`', 'from')
    if (q.zone !== undefined && registry.getZone(q.zone) === undefined) {
      throw new SensorstadError('REGISTRY_ERR_NOT_FOUND', `No zone ${q.zone}; see GET /v1/zones`, 'zone')
    }

    const now = app.deps.now?.() ?? Date.now()
    const lagMs = exact ? 0 : policy.publicLagS * 1000
    // Open answers end at a window boundary at least the lag ago, so every window they hold
    // is complete and old enough; exact answers include the window still running.
    const to = exact ? (q.to ?? now) : windowStart(window, Math.min(q.to ?? now, now - lagMs))
    const from = windowStart(window, q.from ?? to - DAY_MS)
    // Open counts are suppressed at the finest public window and coarser ones built from that
    // table, so two answers at different windows cannot be subtracted from each other.
    const fetchWindow: Window = exact ? window : policy.minPublicWindow
    const fetchCount = Math.max(0, Math.ceil((to - from) / WINDOW_MS[fetchWindow]))
    if (fetchCount > MAX_WINDOWS) {
      throw new SensorstadError('API_ERR_VALIDATION', `At most ${MAX_WINDOWS} windows of ${fetchWindow} per request; narrow from and to`, 'from')
    }
    const windows = Array.from({ length: fetchCount }, (_, i) => from + i * WINDOW_MS[fetchWindow])

    // Open data counts only sensors registered as public, as every open-data route does.
    const counts = await zoneCounts(registry, store, kind, fetchWindow, windows, exact ? 'exact' : 'public')
    const table = exact ? exactTable(counts) : publicTable(counts, policy.k, WINDOW_MS[window] / WINDOW_MS[fetchWindow])

    const data: CrowdCount[] = []
    table.zones.forEach((zone, z) => {
      if (q.zone !== undefined && zone !== q.zone) return
      table.windows.forEach((start, w) => {
        data.push({ zone, start: new Date(start).toISOString(), window, count: table.cells[w]?.[z] ?? null, suppressed: table.suppressed[w]?.[z] ?? false })
      })
    })
    if (q.format === 'csv') {
      reply.type('text/csv; charset=utf-8; header=present')
      // A string body with its own content type bypasses the JSON serializer.
      return reply.send(toCsv(CSV_COLUMNS, data) as never)
    }
    return {
      data,
      totals: table.windows.map((start, w) => ({ start: new Date(start).toISOString(), window, count: table.totals[w] ?? null, suppressed: totalSuppressed(table, w) })),
      k: exact ? null : policy.k,
      lagSeconds: exact ? 0 : policy.publicLagS
    }
  })
}

function publicTable (counts: CountTable, k: number, factor: number): PublishedTable {
  const fine = suppressSmallCounts(counts, k)
  return factor === 1 ? fine : rollUpPublished(fine, factor, k)
}

/** The enforcement view: the counts as measured, nothing withheld. */
function exactTable (counts: CountTable): PublishedTable {
  return {
    zones: counts.zones,
    windows: counts.windows,
    cells: counts.counts,
    suppressed: counts.counts.map((row) => row.map(() => false)),
    totals: counts.counts.map((row) => row.some((c) => c !== null) ? row.reduce<number>((sum, c) => sum + (c ?? 0), 0) : null)
  }
}

export default crowdRoutes
