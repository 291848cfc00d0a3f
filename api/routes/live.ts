import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'
import { eventTextOnce, EventStreams } from '../event-stream.js'

/**
 * `GET /v1/live` (open): Server-Sent Events of what the public may see as it happens,
 * `event: observation` for readings of public fixed sensors and `event: crowd` for public
 * crowd counts per zone once their window closed and lagged. The same items go to MQTT
 * topics under `open/v1/`, which anonymous clients may subscribe to.
 */
const liveRoutes: FastifyPluginAsyncZod = async (app) => {
  const streams = new EventStreams()
  app.addHook('preClose', async () => { streams.endAll() })

  app.get('/v1/live', {
    schema: {
      tags: ['open data'],
      summary: 'Live open data as Server-Sent Events (observation, crowd and grid events)',
      description: 'Public fixed sensors\' readings as they are stored; crowd counts per zone when a public window has closed (15 minutes behind, small counts suppressed); bicycle grid cell-hours once enough rides and devices passed. Also on MQTT: subscribe anonymously (client id starting with "open-", no user name) to open/v1/#.',
      querystring: z.object({ kind: z.string().optional().describe('Only this kind') })
    }
  }, async (request, reply) => {
    const feed = app.deps.live
    if (feed === undefined) throw new SensorstadError('API_ERR_INTERNAL', 'The live feed is not running in this process')
    const { kind } = request.query
    if (kind !== undefined && !app.deps.registry.kinds.has(kind)) throw new SensorstadError('REGISTRY_ERR_UNKNOWN_KIND', `No kind ${kind}; see GET /v1/kinds`, 'kind')
    const stream = streams.open(request, reply, { 'access-control-allow-origin': '*' })
    stream.onEnd(feed.subscribe((item) => {
      if (kind !== undefined && item.kind !== kind) return
      stream.send(eventTextOnce(item, liveEventText))
    }))
  })
}

const liveEventText = (item: { type: string, data: unknown }): string => `event: ${item.type}\ndata: ${JSON.stringify(item.data)}\n\n`

export default liveRoutes
