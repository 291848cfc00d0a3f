import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { sensorRegistrationSchema, sensorSchema, type Sensor } from '../../core/sensor.js'
import { formatTopic } from '../../core/topics.js'

/**
 * Admin: register sensors, suspend and resume them, rotate their secrets. A secret is in
 * the answer of register and rotate only; the register keeps its scrypt hash.
 */
const credentialsSchema = z.object({
  username: z.string(),
  password: z.string().describe('Shown once; store it in the device'),
  clientId: z.string()
})
const topicsSchema = z.object({ senml: z.string(), json: z.string(), status: z.string(), errors: z.string() })
const idParams = z.object({ id: z.string() })

const adminSensorsRoutes: FastifyPluginAsyncZod<{ topicRoot: string }> = async (app, options) => {
  app.addHook('preValidation', app.requireRole('admin'))
  const topicsOf = (sensor: Sensor) => ({
    senml: formatTopic(options.topicRoot, { kind: sensor.kind, sensorId: sensor.id, channel: 'senml' }),
    json: formatTopic(options.topicRoot, { kind: sensor.kind, sensorId: sensor.id, channel: 'json' }),
    status: formatTopic(options.topicRoot, { kind: sensor.kind, sensorId: sensor.id, channel: 'status' }),
    errors: formatTopic(options.topicRoot, { kind: sensor.kind, sensorId: sensor.id, channel: 'errors' })
  })
  const credentials = (id: string, password: string) => ({ username: id, password, clientId: id })

  app.post('/v1/admin/sensors', {
    schema: {
      tags: ['admin'],
      summary: 'Register a sensor; answers its MQTT secret once',
      security: [{ bearer: [] }],
      body: sensorRegistrationSchema,
      response: { 201: z.object({ sensor: sensorSchema, credentials: credentialsSchema, topics: topicsSchema }) }
    }
  }, async (request, reply) => {
    const { sensor, secret } = await app.deps.registry.registerSensor(request.body)
    request.log.info({ sensorId: sensor.id, kind: sensor.kind, by: request.principal?.name }, 'sensor registered')
    reply.status(201).header('location', `/v1/admin/sensors/${sensor.id}`)
    return { sensor, credentials: credentials(sensor.id, secret), topics: topicsOf(sensor) }
  })

  app.get('/v1/admin/sensors', {
    schema: {
      tags: ['admin'],
      summary: 'Every sensor, with its status',
      security: [{ bearer: [] }],
      response: { 200: z.object({ data: z.array(sensorSchema) }) }
    }
  }, async () => ({ data: app.deps.registry.listSensors() }))

  app.get('/v1/admin/sensors/:id', {
    schema: {
      tags: ['admin'],
      summary: 'One sensor, with its topics',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: z.object({ sensor: sensorSchema, topics: topicsSchema }) }
    }
  }, async (request) => {
    const sensor = app.deps.registry.requireSensor(request.params.id)
    return { sensor, topics: topicsOf(sensor) }
  })

  for (const [action, status] of [['suspend', 'suspended'], ['resume', 'active']] as const) {
    app.post(`/v1/admin/sensors/:id/${action}`, {
      schema: {
        tags: ['admin'],
        summary: action === 'suspend' ? 'Suspend a sensor: its connection is closed and it cannot connect' : 'Let a suspended sensor connect again',
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: sensorSchema }
      }
    }, async (request) => {
      const sensor = await app.deps.registry.setSensorStatus(request.params.id, status)
      request.log.info({ sensorId: sensor.id, status, by: request.principal?.name }, 'sensor status changed')
      return sensor
    })
  }

  app.post('/v1/admin/sensors/:id/rotate', {
    schema: {
      tags: ['admin'],
      summary: 'Issue a new secret; the old one stops working and the live connection is closed',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: z.object({ credentials: credentialsSchema }) }
    }
  }, async (request) => {
    const secret = await app.deps.registry.rotateSecret(request.params.id)
    request.log.info({ sensorId: request.params.id, by: request.principal?.name }, 'sensor secret rotated')
    return { credentials: credentials(request.params.id, secret) }
  })
}
export default adminSensorsRoutes
