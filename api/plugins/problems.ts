import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { ERRORS, isSensorstadError, type ErrorCode } from '../../core/errors.js'

/**
 * The one place errors become HTTP answers: RFC 9457 problem+json with the catalogue's
 * stable `code` (core/errors.ts). 5xx details are logged, never sent.
 */
export function problem (code: ErrorCode, detail?: string, field?: string, instance?: string): Record<string, unknown> {
  return {
    type: `urn:sensorstad:problem:${code}`,
    title: ERRORS[code].title,
    status: ERRORS[code].status,
    ...(detail !== undefined ? { detail } : {}),
    code,
    ...(field !== undefined ? { field } : {}),
    ...(instance !== undefined ? { instance } : {})
  }
}

function statusOf (err: unknown): number {
  const status = (err as { statusCode?: unknown }).statusCode
  return typeof status === 'number' ? status : 500
}

export default fp(async (app) => {
  app.setErrorHandler((err, request, reply) => {
    let body: Record<string, unknown>
    if (isSensorstadError(err)) {
      body = problem(err.code, err.status >= 500 ? undefined : err.message, err.field, request.url)
    } else if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0]
      const where = first?.instancePath.replace(/^\//, '').replaceAll('/', '.') ?? ''
      const detail = err.validation.map((v) => `${err.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}: ${v.message}`).join('; ')
      body = problem('API_ERR_VALIDATION', detail, where === '' ? undefined : where, request.url)
    } else if (statusOf(err) === 429) {
      body = problem('API_ERR_RATE_LIMITED', 'Slow down; see the Retry-After header', undefined, request.url)
    } else if (statusOf(err) < 500) {
      // Fastify's own 4xx (unsupported media type, body too large, bad JSON body).
      body = { ...problem('API_ERR_VALIDATION', (err as Error).message, undefined, request.url), status: statusOf(err) }
    } else {
      request.log.error({ err }, 'unhandled error')
      body = problem('API_ERR_INTERNAL', undefined, undefined, request.url)
    }
    reply.status(body.status as number).type('application/problem+json').send(body)
  })

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).type('application/problem+json')
      .send(problem('API_ERR_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}; see /docs`, undefined, request.url))
  })
}, { name: 'problems' })
