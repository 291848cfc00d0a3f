import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { EXPORT_FORMATS, EXPORT_MEDIA_TYPES, exportPath, parseDay, type ExportFile, type ExportFormat } from '../../core/exports.js'
import { SensorstadError } from '../../core/errors.js'
import { ID_PATTERN } from '../../core/topics.js'

/**
 * Bulk open data: one Parquet file, one CSV file and its CSVW metadata per kind and UTC day,
 * written once by the nightly export (or the backfill command) and never changed after. So
 * a file is cached for a year and its ETag is its sha256: a mirror can check what it holds
 * against the list without downloading again.
 */
export interface ExportsRouteOptions {
  /** Makes the listed urls absolute (PUBLIC_BASE_URL); without it they are paths. */
  publicBaseUrl?: string | undefined
}

const PREFIX = '/v1/exports'
// A year: the longest max-age RFC 9111 section 5.2.2.1 tells caches to expect; `immutable`
// (RFC 8246) spares even the revalidation on reload.
const IMMUTABLE = 'public, max-age=31536000, immutable'
const FILE_NAME = /^(\d{2})\.(parquet|csv|csv-metadata\.json)$/

const exportFileSchema = z.object({
  kind: z.string(),
  date: z.string().describe('The UTC day the rows belong to, YYYY-MM-DD'),
  format: z.enum(EXPORT_FORMATS).describe('parquet; csv (RFC 4180, header row); csv-metadata.json (W3C CSVW metadata of the csv: columns, datatypes, units)'),
  url: z.string(),
  bytes: z.number().int(),
  sha256: z.string().describe('Hex sha256 of the file; also its ETag')
}).meta({ id: 'ExportFile' })

const exportsRoutes: FastifyPluginAsyncZod<ExportsRouteOptions> = async (app, options) => {
  const base = (options.publicBaseUrl ?? '').replace(/\/+$/, '')

  app.get(PREFIX, {
    schema: {
      tags: ['open data'],
      summary: 'Day files of open data: Parquet, CSV and CSVW metadata per kind and UTC day',
      description: 'Every published file with its size and sha256. Each day holds what the anonymous API answers for it: bins per sensor, crowd counts per zone (suppressed), bicycles per grid cell and hour. A day is published once late readings can no longer arrive, and never changes after.',
      querystring: z.object({ kind: z.string().optional().describe('Only this kind') }),
      response: { 200: z.object({ data: z.array(exportFileSchema) }) }
    }
  }, async (request, reply) => {
    const files = await app.deps.exports?.list() ?? []
    reply.header('cache-control', 'public, max-age=300')
    return {
      data: files
        .filter((f) => request.query.kind === undefined || f.kind === request.query.kind)
        .map((f) => ({ kind: f.kind, date: f.date, format: f.format, url: `${base}${PREFIX}/${f.path}`, bytes: f.bytes, sha256: f.sha256 }))
    }
  })

  app.get(`${PREFIX}/:kind/:yyyy/:mm/:file`, {
    // The bytes sent are the bytes hashed: a strong ETag must change with the content coding
    // (RFC 9110 section 8.8.3), and a mirror checks the sha256 of what it stored. Parquet is
    // compressed inside already.
    config: { compress: false },
    schema: {
      tags: ['open data'],
      summary: 'One day file',
      description: 'The file as published, with `Cache-Control: immutable` and its sha256 as strong ETag. `{dd}.parquet` is application/vnd.apache.parquet; `{dd}.csv` text/csv with a header row, linked to its `{dd}.csv-metadata.json` (application/csvm+json).',
      params: z.object({
        kind: z.string(),
        yyyy: z.string().regex(/^\d{4}$/),
        mm: z.string().regex(/^\d{2}$/),
        file: z.string().describe('{dd}.parquet, {dd}.csv or {dd}.csv-metadata.json')
      })
    }
  }, async (request, reply) => {
    const { kind, yyyy, mm, file: name } = request.params
    const m = FILE_NAME.exec(name)
    const day = `${yyyy}-${mm}-${m?.[1] ?? ''}`
    const format = m?.[2] as ExportFormat | undefined
    const file = m === null || format === undefined || !ID_PATTERN.test(kind) || parseDay(day) === undefined
      ? undefined
      : await app.deps.exports?.file(kind, day, format)
    if (file === undefined || app.deps.exports === undefined) {
      throw new SensorstadError('API_ERR_NOT_FOUND', `No day file ${kind}/${yyyy}/${mm}/${name}; see GET ${PREFIX} for what is published`)
    }
    const etag = `"${file.sha256}"`
    reply.header('etag', etag).header('cache-control', IMMUTABLE).type(EXPORT_MEDIA_TYPES[file.format])
    if (file.format === 'csv') {
      // CSVW, Model for Tabular Data section 5.1: a Link header points a processor at the metadata.
      const metadata = exportPath(kind, day, 'csv-metadata.json').split('/').pop()!
      reply.header('link', `<${metadata}>; rel="describedby"; type="${EXPORT_MEDIA_TYPES['csv-metadata.json']}"`)
    }
    if (matches(request.headers['if-none-match'], file)) return reply.code(304).send()
    reply.header('content-length', file.bytes)
    return reply.send(createReadStream(join(app.deps.exports.dir, file.path)))
  })
}

/** RFC 9110 section 13.1.2: If-None-Match compares weakly; `*` matches any existing file. */
function matches (header: string | undefined, file: ExportFile): boolean {
  if (header === undefined) return false
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === '*' || t === `"${file.sha256}"`)
}

export default exportsRoutes
