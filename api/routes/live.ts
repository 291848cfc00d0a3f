import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'

/**
 * `GET /v1/live` (open): Server-Sent Events of what the public may see as it happens,
 * `event: observation` for readings of public fixed sensors and `event: crowd` for public
 * crowd counts per zone once their window closed and lagged. The same items go to MQTT
 * topics under `open/v1/`, which anonymous clients may subscribe to.
 */
const HEARTBEAT_MS = 15_000

const liveRoutes: FastifyPluginAsyncZod = async (app) => {
  const streams = new Set<() => void>()
  app.addHook('preClose', async () => { for (const end of streams) end() })

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
    reply.hijack()
    // A stream is quiet between events by design and read for hours: the server's idle
    // timeout (connectionTimeout, build-app.ts) is meant for requests, so it is off here.
    request.raw.socket.setTimeout(0)
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    res.write('retry: 3000\n\n')
    const unsubscribe = feed.subscribe((item) => {
      if (kind !== undefined && item.kind !== kind) return
      // A reader that does not keep up is let go rather than buffered without bound; its
      // EventSource reconnects after `retry` and carries on from the live edge.
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        end()
        // end() would wait for the backlog to be read; this reader will not read it.
        res.destroy()
        return
      }
      res.write(eventText(item))
    })
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
    const end = (): void => {
      clearInterval(heartbeat)
      unsubscribe()
      streams.delete(end)
      res.end()
    }
    streams.add(end)
    request.raw.on('close', end)
  })
}
/** Bytes waiting for one slow reader before it is disconnected. */
const MAX_BUFFERED_BYTES = 1024 * 1024

/** One serialisation per item, however many streams send it. */
const texts = new WeakMap<object, string>()
function eventText (item: { type: string, data: unknown }): string {
  let text = texts.get(item)
  if (text === undefined) texts.set(item, text = `event: ${item.type}\ndata: ${JSON.stringify(item.data)}\n\n`)
  return text
}

export default liveRoutes
