import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import tls from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, eventually, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * MQTT over TLS with a self-signed certificate for 127.0.0.1 made at test time by `openssl`
 * (Debian's openssl; CI has it, so there a missing openssl fails instead of skipping).
 */
const hasOpenssl = spawnSync('openssl', ['version']).error === undefined
const MAX_PACKET_BYTES = 1024

describe.runIf(hasOpenssl || process.env.CI !== undefined)('MQTT over TLS', () => {
  const certDir = mkdtempSync(join(tmpdir(), 'sensorstad-tls-'))
  const certPath = join(certDir, 'cert.pem')
  const keyPath = join(certDir, 'key.pem')
  let ca: Buffer
  let p: TestPlatform
  let bin: RegisteredSensor
  const processDefaults = { minVersion: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS }

  beforeAll(async () => {
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', keyPath, '-out', certPath], { encoding: 'utf8' })
    expect(made.status, made.stderr).toBe(0)
    ca = readFileSync(certPath)
    // As if node ran with --tls-min-v1.0 and an OpenSSL security level that allows TLS 1.1
    // (OpenSSL 3 refuses it at level 1): only the listener's own minimum can refuse it then.
    tls.DEFAULT_MIN_VERSION = 'TLSv1'
    tls.DEFAULT_CIPHERS = 'DEFAULT:@SECLEVEL=0'
    p = await startTestPlatform({
      env: { MQTT_TLS_PORT: '0', MQTT_TLS_HOST: '127.0.0.1', MQTT_TLS_CERT_PATH: certPath, MQTT_TLS_KEY_PATH: keyPath, MQTT_MAX_PACKET_BYTES: String(MAX_PACKET_BYTES) }
    })
    bin = await registerSensor(p, 'wastebin', 'bin-tls-1')
  })

  afterAll(async () => {
    tls.DEFAULT_MIN_VERSION = processDefaults.minVersion
    tls.DEFAULT_CIPHERS = processDefaults.ciphers
    await p?.destroy()
    rmSync(certDir, { recursive: true, force: true })
  })

  it('listens on its own port next to plain MQTT', () => {
    expect(p.mqttTlsPort).toBeGreaterThan(0)
    expect(p.mqttTlsPort).not.toBe(p.mqttPort)
  })

  it('stores a QoS 1 reading sent over mqtts:// with the certificate as CA', async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${p.mqttTlsPort}`, {
      ca, clientId: bin.id, username: bin.id, password: bin.password, reconnectPeriod: 0, connectTimeout: 5_000
    })
    try {
      expect((client.stream as tls.TLSSocket).getProtocol()).toMatch(/^TLSv1\.[23]$/)
      await client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 61 }), { qos: 1 })
    } finally {
      await client.endAsync()
    }
    const latest = await eventually(async () => {
      const res = await api(p, 'GET', `/v1/latest?sensor=${bin.id}`, undefined, null)
      return res.body.data.length > 0 ? res.body.data : undefined
    })
    expect(latest).toEqual([expect.objectContaining({ field: 'fillingLevel', value: 61 })])
  })

  it('refuses a TLS 1.1 client with a protocol-version alert', async () => {
    const outcome = await handshake({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })
    expect(outcome).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION')
    // The control: the same client allowed TLS 1.2 gets in, so the refusal is the version's.
    expect(await handshake({ maxVersion: 'TLSv1.2', minVersion: 'TLSv1' })).toBe('TLSv1.2')
  })

  it('gives a plain MQTT client on the TLS port no session', async () => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${p.mqttTlsPort}`, {
      clientId: bin.id, username: bin.id, password: bin.password, reconnectPeriod: 0, connectTimeout: 3_000
    })
    client.on('error', () => {})
    const outcome = await new Promise<string>((resolve) => {
      client.once('connect', () => resolve('connected'))
      client.once('close', () => resolve('closed'))
    })
    client.end(true)
    expect(outcome).toBe('closed')
  })

  it('closes a TLS connection that announces a packet over MQTT_MAX_PACKET_BYTES at once', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: p.mqttTlsPort!, ca })
    socket.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve())
      socket.once('close', () => reject(new Error('closed before the handshake')))
    })
    const started = Date.now()
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    // A CONNECT fixed header announcing 16 KiB (remaining length 0x80 0x80 0x01), body never
    // sent: without the guard the broker waits for it until MQTT_CONNECT_TIMEOUT_S (10 s).
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x01]))
    await closed
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('stops the boot naming the variable when the key file cannot be read', async () => {
    // Inside certDir, which afterAll removes: a failed start leaves its DATA_DIR behind.
    const err = await startTestPlatform({ dataDir: mkdtempSync(join(certDir, 'data-')), env: { MQTT_TLS_PORT: '0', MQTT_TLS_CERT_PATH: certPath, MQTT_TLS_KEY_PATH: join(certDir, 'missing.pem') } })
      .then(async (started) => { await started.destroy(); return undefined }, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'CONFIG_ERR_INVALID', field: 'MQTT_TLS_KEY_PATH' })
  })

  async function handshake (options: tls.ConnectionOptions): Promise<string> {
    return new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: p.mqttTlsPort!, ca, ...options }, () => {
        resolve(socket.getProtocol() ?? 'unknown')
        socket.destroy()
      })
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    })
  }
})
