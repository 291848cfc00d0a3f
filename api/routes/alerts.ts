import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { alertEventSchema, zoneAlertStateSchema, type AlertEvent } from '../../core/alerts.js'
import { SensorstadError } from '../../core/errors.js'
import { eventTextOnce, EventStreams } from '../event-stream.js'
import { timeParam } from '../schemas.js'
import type { AlertsFeed } from '../deps.js'

/**
 * Crowd alerts for enforcement (role enforcement or admin): the state of every zone with
 * recent events, a live Server-Sent Events stream that resumes with Last-Event-ID, and
 * acknowledgement, which records who and when (the audit trail) and is logged.
 *
 * The feed brings acknowledgements too, made here or in another API process: an event that
 * arrives with `ack` set is one (the feed's store announces each acknowledgement it takes;
 * new events always arrive with `ack` null).
 */
const alertsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('preValidation', app.requireRole('enforcement', 'admin'))
  const streams = new EventStreams()
  app.addHook('preClose', async () => { streams.endAll() })
  const feed = (): AlertsFeed => {
    if (app.deps.alerts === undefined) throw new SensorstadError('API_ERR_INTERNAL', 'Alerts are not running in this process')
    return app.deps.alerts
  }

  app.get('/v1/alerts', {
    schema: {
      tags: ['enforcement'],
      summary: 'Every zone\'s crowd level, exact count and density, and recent alert events',
      security: [{ bearer: [] }],
      querystring: z.object({
        zone: z.string().optional(),
        since: timeParam.optional().describe('Events at or after this time'),
        limit: z.coerce.number().int().positive().max(1000).default(100)
      }),
      response: { 200: z.object({ zones: z.array(zoneAlertStateSchema), events: z.array(alertEventSchema) }) }
    }
  }, async (request) => {
    const { zone, since, limit } = request.query
    const alerts = feed()
    return {
      zones: alerts.states().filter((s) => zone === undefined || s.zoneId === zone),
      events: await alerts.store.list({ zoneId: zone, since, limit })
    }
  })

  app.post('/v1/alerts/:id/ack', {
    schema: {
      tags: ['enforcement'],
      summary: 'Acknowledge an alert event; records who and when (a second acknowledgement keeps the first)',
      security: [{ bearer: [] }],
      params: z.object({ id: z.string().regex(/^\d+$/) }),
      response: { 200: alertEventSchema }
    }
  }, async (request) => {
    const principal = request.principal!
    const event = await feed().store.acknowledge(request.params.id, { by: principal.name, tokenId: principal.tokenId, at: new Date().toISOString() })
    if (event === undefined) throw new SensorstadError('API_ERR_NOT_FOUND', `No alert event ${request.params.id}`, 'id')
    request.log.info({ alertId: event.id, zoneId: event.zoneId, by: principal.name, tokenId: principal.tokenId }, 'alert acknowledged')
    return event
  })

  app.get('/v1/alerts/stream', {
    schema: {
      tags: ['enforcement'],
      summary: 'Live alert events (event: alert, with id), acknowledgements (event: ack) and zone states (event: zones) as Server-Sent Events',
      description: 'Send Last-Event-ID to receive the events missed since that id first. A comment line every 15 s keeps proxies from closing the stream.',
      security: [{ bearer: [] }]
    }
  }, async (request, reply) => {
    const alerts = feed()
    const lastId = request.headers['last-event-id']
    const resumeAfter = typeof lastId === 'string' && /^\d+$/.test(lastId) ? lastId : undefined
    const stream = streams.open(request, reply)
    const sendEvent = (event: AlertEvent): void => { stream.send(`id: ${event.id}\nevent: alert\ndata: ${JSON.stringify(event)}\n\n`) }
    // Live items that arrive while the missed ones are replayed wait, then go out once each.
    let replaying = true
    const held: AlertEvent[] = []
    let lastSent = resumeAfter === undefined ? 0n : BigInt(resumeAfter)
    stream.onEnd(alerts.subscribe((item) => {
      if (item.type === 'zones') {
        stream.send(eventTextOnce(item, zonesText))
      } else if (item.event.ack !== null) {
        // Every viewer sees an acknowledgement at once, whoever took it.
        stream.send(eventTextOnce(item, ackText))
      } else if (replaying) {
        held.push(item.event)
      } else if (BigInt(item.event.id) > lastSent) {
        lastSent = BigInt(item.event.id)
        sendEvent(item.event)
      }
    }))
    if (resumeAfter !== undefined) {
      for (const event of await alerts.store.list({ afterId: resumeAfter, ascending: true, limit: 1000 })) {
        lastSent = BigInt(event.id)
        sendEvent(event)
      }
    }
    for (const event of held) {
      if (BigInt(event.id) > lastSent) {
        lastSent = BigInt(event.id)
        sendEvent(event)
      }
    }
    replaying = false
    stream.send(`event: zones\ndata: ${JSON.stringify(alerts.states())}\n\n`)
  })
}
const zonesText = (item: { zones: unknown }): string => `event: zones\ndata: ${JSON.stringify(item.zones)}\n\n`
const ackText = (item: { event: AlertEvent }): string => `event: ack\ndata: ${JSON.stringify(item.event)}\n\n`

export default alertsRoutes
