import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { configSchema, loadConfig } from '../../core/config.js'
import { errorOf } from '../helpers/error-of.js'

const DEFAULTS = {
  HTTP_HOST: '0.0.0.0',
  HTTP_PORT: 8080,
  MQTT_HOST: '0.0.0.0',
  MQTT_PORT: 1883,
  MQTT_WS_PORT: 8083,
  MQTT_TOPIC_ROOT: 'utrecht/v1',
  MQTT_MAX_PACKET_BYTES: 65_536,
  MQTT_CONNECT_TIMEOUT_S: 10,
  MQTT_DRAIN_TIMEOUT_S: 30,
  MQTT_TLS_HOST: '0.0.0.0',
  MQTT_AUTH_FAILURES_PER_MIN: 10,
  MQTT_AUTH_WINDOW_S: 60,
  MQTT_PUBLISH_RATE_LIMIT: true,
  DATA_DIR: './data',
  LOG_LEVEL: 'info',
  INGEST_BATCH_MAX: 5_000,
  INGEST_FLUSH_MS: 25,
  INGEST_MAX_PENDING: 50_000,
  INGEST_MAX_READINGS_PER_MESSAGE: 1_000,
  INGEST_MAX_FUTURE_S: 300,
  INGEST_CHECK_THREAD: true,
  ROLLUP_CRON: '5 * * * * *',
  RETENTION_CRON: '17 3 * * *',
  EXPORT_CRON: '30 2 * * *',
  HTTP_RATE_LIMIT_PER_MIN: 600,
  INFLUX_DB: 'sensorstad',
  INFLUX_SETUP: true,
  INFLUX_TIMEOUT_MS: 10_000,
  ROLE: ['broker', 'api', 'jobs'],
  LEADER_LEASE_MS: 10_000,
  ALERT_HYSTERESIS: 0.1,
  ALERT_MIN_DURATION_S: 60,
  ALERT_TICK_S: 10,
  DASHBOARD_TILE_URL: 'https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png',
  COLLECTION_DEPOT_LAT: 52.0851,
  COLLECTION_DEPOT_LON: 5.0868,
  COLLECTION_THRESHOLD_PCT: 80,
  COLLECTION_HORIZON_H: 24
}

describe('loadConfig', () => {
  it('fills in every default, leaving the optional variables unset', () => {
    const config = loadConfig({})
    expect(config).toStrictEqual(DEFAULTS)
    expect(config.ADMIN_TOKEN).toBeUndefined()
    expect(config.PUBLIC_BASE_URL).toBeUndefined()
  })

  it('takes InfluxDB settings, with a token or a user and password but not both', () => {
    expect(loadConfig({ INFLUX_URL: 'http://127.0.0.1:8086', INFLUX_TOKEN: 't0k', INFLUX_SETUP: 'false' })).toMatchObject({ INFLUX_URL: 'http://127.0.0.1:8086', INFLUX_TOKEN: 't0k', INFLUX_SETUP: false })
    const both = errorOf(() => loadConfig({ INFLUX_TOKEN: 'secret-token-1', INFLUX_USER: 'u', INFLUX_PASSWORD: 'secret-pass-1' }))
    expect(both.field).toBe('INFLUX_TOKEN')
    expect(both.message).not.toMatch(/secret-token-1|secret-pass-1/)
    expect(errorOf(() => loadConfig({ INFLUX_USER: 'u' })).field).toBe('INFLUX_USER')
    expect(errorOf(() => loadConfig({ INFLUX_URL: 'not a url' })).field).toBe('INFLUX_URL')
  })

  it('takes a TLS listener only with its certificate and key', () => {
    expect(loadConfig({ MQTT_TLS_PORT: '8883', MQTT_TLS_CERT_PATH: '/etc/ssl/mqtt.pem', MQTT_TLS_KEY_PATH: '/etc/ssl/mqtt.key' }))
      .toMatchObject({ MQTT_TLS_PORT: 8883, MQTT_TLS_HOST: '0.0.0.0', MQTT_TLS_CERT_PATH: '/etc/ssl/mqtt.pem', MQTT_TLS_KEY_PATH: '/etc/ssl/mqtt.key' })
    const noCert = errorOf(() => loadConfig({ MQTT_TLS_PORT: '8883', MQTT_TLS_KEY_PATH: '/etc/ssl/mqtt.key' }))
    expect(noCert.field).toBe('MQTT_TLS_CERT_PATH')
    expect(noCert.message).toMatch(/MQTT_TLS_CERT_PATH/)
    expect(errorOf(() => loadConfig({ MQTT_TLS_PORT: '8883', MQTT_TLS_CERT_PATH: '/etc/ssl/mqtt.pem' })).field).toBe('MQTT_TLS_KEY_PATH')
    expect(errorOf(() => loadConfig({ MQTT_TLS_PORT: '88830' })).field).toBe('MQTT_TLS_PORT')
  })

  it('coerces numbers and keeps strings', () => {
    const config = loadConfig({
      HTTP_PORT: '9090',
      MQTT_PORT: '0',
      MQTT_MAX_PACKET_BYTES: '1048576',
      INGEST_FLUSH_MS: '5',
      MQTT_TOPIC_ROOT: 'amersfoort/test/v2',
      ADMIN_TOKEN: 'a-long-enough-admin-token-123',
      PUBLIC_BASE_URL: 'https://data.utrecht.example/',
      LOG_LEVEL: 'silent'
    })
    expect(config).toStrictEqual({
      ...DEFAULTS,
      HTTP_PORT: 9090,
      MQTT_PORT: 0,
      MQTT_MAX_PACKET_BYTES: 1_048_576,
      INGEST_FLUSH_MS: 5,
      MQTT_TOPIC_ROOT: 'amersfoort/test/v2',
      ADMIN_TOKEN: 'a-long-enough-admin-token-123',
      PUBLIC_BASE_URL: 'https://data.utrecht.example/',
      LOG_LEVEL: 'silent'
    })
  })

  it('counts empty strings as unset', () => {
    expect(loadConfig({ HTTP_PORT: '', LOG_LEVEL: '', ADMIN_TOKEN: '', PUBLIC_BASE_URL: '', MQTT_TOPIC_ROOT: '' })).toStrictEqual(DEFAULTS)
  })

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', NODE_ENV: 'production', http_port: 'abc' })).toStrictEqual(DEFAULTS)
  })

  it.each([
    ['HTTP_PORT', 'abc'],
    ['HTTP_PORT', '65536'],
    ['HTTP_PORT', '-1'],
    ['HTTP_PORT', '80.5'],
    ['MQTT_WS_PORT', '-1'],
    ['MQTT_TOPIC_ROOT', 'utrecht/#'],
    ['MQTT_TOPIC_ROOT', 'utrecht/+/v1'],
    ['MQTT_TOPIC_ROOT', '/utrecht'],
    ['MQTT_TOPIC_ROOT', 'utrecht/'],
    ['MQTT_TOPIC_ROOT', 'utrecht//v1'],
    ['LOG_LEVEL', 'loud'],
    ['ADMIN_TOKEN', 'short-token'],
    ['PUBLIC_BASE_URL', 'not a url'],
    ['INGEST_BATCH_MAX', '0'],
    ['INGEST_FLUSH_MS', 'soon']
  ])('refuses %s=%s with CONFIG_ERR_INVALID naming the variable', (name, value) => {
    const err = errorOf(() => loadConfig({ [name]: value }))
    expect(err.code).toBe('CONFIG_ERR_INVALID')
    expect(err.field).toBe(name)
    expect(err.message).toContain(name)
  })

  it('names every bad variable when there are several', () => {
    const err = errorOf(() => loadConfig({ HTTP_PORT: 'abc', LOG_LEVEL: 'loud', DATA_DIR: '/srv/data' }))
    expect(err.code).toBe('CONFIG_ERR_INVALID')
    expect(['HTTP_PORT', 'LOG_LEVEL']).toContain(err.field)
    expect(err.message).toContain('HTTP_PORT')
    expect(err.message).toContain('LOG_LEVEL')
    expect(err.message).not.toContain('DATA_DIR')
  })

  it('does not print a refused ADMIN_TOKEN, which is a secret even when too short', () => {
    const err = errorOf(() => loadConfig({ ADMIN_TOKEN: 'my-secret-but-short' }))
    expect(err.field).toBe('ADMIN_TOKEN')
    expect(err.message).toContain('ADMIN_TOKEN')
    expect(err.message).not.toContain('my-secret-but-short')
  })
})

describe('.env.example', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
  /** `NAME=value` lines, and `# NAME=value` lines for variables without a default. */
  const lines = [...text.matchAll(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/gm)]
  const documented = lines.map((m) => m[2]!)

  it('lists exactly the variables of the config schema, each once', () => {
    expect([...documented].sort()).toStrictEqual(Object.keys(configSchema.shape).sort())
    expect(new Set(documented).size).toBe(documented.length)
  })

  it('shows the defaults: its uncommented values load to the same config as nothing', () => {
    const env = Object.fromEntries(lines.filter((m) => m[1] === undefined).map((m) => [m[2]!, m[3]!]))
    expect(Object.keys(env).length).toBeGreaterThan(10)
    expect(loadConfig(env)).toStrictEqual(loadConfig({}))
  })
})
