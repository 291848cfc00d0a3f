import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { loadConfig } from '../../core/config.js'
import type { SensorRegistration } from '../../core/sensor.js'
import { createLogger, startPlatform, type Platform } from '../../platform.js'

/**
 * Starts the whole platform as `npm start` does, on 127.0.0.1 port 0 and a temporary
 * DATA_DIR, for tests that talk to it over real sockets.
 */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'
export const ROOT = 'utrecht/v1'

export interface TestPlatform extends Platform {
  dataDir: string
  /** Closes the platform and removes its data. */
  destroy (): Promise<void>
}

export async function startTestPlatform (options: { dataDir?: string, env?: Record<string, string>, logTo?: NodeJS.WritableStream } = {}): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sensorstad-test-'))
  const config = loadConfig({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    INGEST_FLUSH_MS: '5',
    // Tests replay a sensor's history in seconds and try many refused CONNECTs from 127.0.0.1;
    // broker-limits.test.ts sets both limits back.
    MQTT_PUBLISH_RATE_LIMIT: 'false',
    MQTT_AUTH_FAILURES_PER_MIN: '1000',
    ...options.env
  })
  const platform = await startPlatform(config, createLogger(config, options.logTo))
  return Object.assign(platform, {
    dataDir,
    async destroy () {
      await platform.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
}

export async function api (p: Platform, method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<{ status: number, body: any, headers: Headers, text: string }> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token !== null ? { authorization: `Bearer ${token}` } : {})
    },
    body: body !== undefined ? JSON.stringify(body) : undefined
  })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: res.status, body: parsed, headers: res.headers, text }
}

export const ZONE_VREDENBURG = {
  id: 'vredenburg',
  name: 'Vredenburg',
  geometry: {
    type: 'Polygon' as const,
    coordinates: [[[5.1155, 52.0925], [5.1175, 52.0925], [5.1175, 52.0935], [5.1155, 52.0935], [5.1155, 52.0925]]]
  },
  capacity: 5000
}

export function registration (kind: string, id: string, extra: Partial<SensorRegistration> = {}): SensorRegistration {
  return {
    id,
    kind,
    name: `Test ${kind} ${id}`,
    owner: 'Gemeente Utrecht',
    purpose: 'Testing the platform',
    legalBasis: 'Public task (AVG art. 6.1e)',
    dpiaRef: 'DPIA-TEST-1',
    processesPersonalData: false,
    public: true,
    ...(kind === 'crowd' ? { zoneId: ZONE_VREDENBURG.id } : {}),
    ...(kind === 'wastebin' ? { location: { lat: 52.0928, lon: 5.1176 } } : {}),
    ...extra
  }
}

export interface RegisteredSensor { id: string, kind: string, password: string }

export async function registerSensor (p: Platform, kind: string, id: string, extra: Partial<SensorRegistration> = {}): Promise<RegisteredSensor> {
  if (kind === 'crowd' && p.registry.getZone(ZONE_VREDENBURG.id) === undefined) {
    const zone = await api(p, 'POST', '/v1/admin/zones', ZONE_VREDENBURG)
    if (zone.status !== 201) throw new Error(`zone: ${zone.status} ${zone.text}`)
  }
  const res = await api(p, 'POST', '/v1/admin/sensors', registration(kind, id, extra))
  if (res.status !== 201) throw new Error(`register ${id}: ${res.status} ${res.text}`)
  return { id, kind, password: res.body.credentials.password }
}

export function connectSensor (p: Platform, sensor: { id: string, password: string }, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync({
    host: '127.0.0.1',
    port: p.mqttPort,
    clientId: sensor.id,
    username: sensor.id,
    password: sensor.password,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options
  })
}

export function topic (sensor: { id: string, kind: string }, channel: string): string {
  return `${ROOT}/${sensor.kind}/${sensor.id}/${channel}`
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T> (check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Resolves when the broker (or anything) closes the client's connection. */
export function closed (client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()))
}
