import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/free-port.js'
import { registerSensor, startTestPlatform, type TestPlatform } from '../helpers/platform.js'

/**
 * The load balancer of the cluster profile (infra/haproxy/haproxy.cfg), run for real: Debian's
 * haproxy (installed by .ci/run) with the committed file, in which only the compose host
 * names and listening ports are swapped for two platforms on loopback. Checks that MQTT
 * spreads over both brokers, that a broker that goes away is routed around at once, and that
 * HTTP reaches both API processes. No Docker engine is needed.
 */
const HAPROXY = process.env.HAPROXY_BIN ?? 'haproxy'
const hasHaproxy = spawnSync(HAPROXY, ['-v']).error === undefined
const CONFIG = fileURLToPath(new URL('../../infra/haproxy/haproxy.cfg', import.meta.url))

interface Rig { a: TestPlatform, b: TestPlatform, mqttPort: number, httpPort: number, proc: ChildProcess, dir: string }

function localConfig (a: TestPlatform, b: TestPlatform, mqttPort: number, wsPort: number, httpPort: number): string {
  const text = readFileSync(CONFIG, 'utf8')
    .replace(/\nresolvers docker\n(?: {2}.*\n)+/, '\n')
    .replaceAll(' resolvers docker', '')
    // The file's maxconn needs more descriptors than a test machine allows (ulimit -n).
    .replace(/maxconn \d+/, 'maxconn 1000')
    .replace('bind :1883', `bind 127.0.0.1:${mqttPort}`)
    .replace('bind :8083', `bind 127.0.0.1:${wsPort}`)
    .replace('bind :8080', `bind 127.0.0.1:${httpPort}`)
    .replaceAll('broker-1:1883', `127.0.0.1:${a.mqttPort}`)
    .replaceAll('broker-2:1883', `127.0.0.1:${b.mqttPort}`)
    .replaceAll('broker-1:8083', `127.0.0.1:${a.mqttWsPort}`)
    .replaceAll('broker-2:8083', `127.0.0.1:${b.mqttWsPort}`)
    .replaceAll('api-1:8080', `127.0.0.1:${a.httpPort}`)
    .replaceAll('api-2:8080', `127.0.0.1:${b.httpPort}`)
  // Every service name must have been replaced, or the test would pass on a config it changed.
  expect(text).not.toMatch(/broker-\d:|api-\d:|:1883\b|:8083\b|:8080\b/)
  return text
}

const clientsOf = (p: TestPlatform): number => p.broker.aedes.connectedClients

async function connectReader (port: number, id: string): Promise<MqttClient> {
  // Anonymous readers of open data are allowed on every broker: no register needed.
  return mqtt.connectAsync({ host: '127.0.0.1', port, clientId: id, reconnectPeriod: 0, connectTimeout: 5_000 })
}

describe.runIf(hasHaproxy || process.env.CI !== undefined)('the cluster load balancer (infra/haproxy/haproxy.cfg)', () => {
  let rig: Rig

  beforeAll(async () => {
    if (!hasHaproxy) throw new Error(`CI needs ${HAPROXY} (Debian package haproxy); .ci/run installs it`)
    const [a, b] = await Promise.all([startTestPlatform(), startTestPlatform()])
    const [mqttPort, wsPort, httpPort] = [await freePort(), await freePort(), await freePort()]
    const dir = mkdtempSync(join(tmpdir(), 'sensorstad-haproxy-'))
    const cfg = join(dir, 'haproxy.cfg')
    writeFileSync(cfg, localConfig(a, b, mqttPort, wsPort, httpPort))
    const check = spawnSync(HAPROXY, ['-c', '-f', cfg], { encoding: 'utf8' })
    expect(check.status, check.stderr).toBe(0)
    const proc = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    proc.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4_000) })
    rig = { a, b, mqttPort, httpPort, proc, dir }
    // Up once both API processes answer through it.
    const deadline = Date.now() + 10_000
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false)
      if (ok) break
      if (Date.now() > deadline) throw new Error(`haproxy did not answer within 10 s: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }, 30_000)

  afterAll(async () => {
    if (rig === undefined) return
    rig.proc.kill('SIGKILL')
    await Promise.all([rig.a.destroy(), rig.b.destroy()])
    rmSync(rig.dir, { recursive: true, force: true })
  })

  it('spreads MQTT connections over both brokers (leastconn)', async () => {
    const clients: MqttClient[] = []
    for (let i = 0; i < 6; i++) clients.push(await connectReader(rig.mqttPort, `open-reader-${i}`))
    expect(clientsOf(rig.a) + clientsOf(rig.b)).toBe(6)
    expect(clientsOf(rig.a)).toBe(3)
    expect(clientsOf(rig.b)).toBe(3)
    await Promise.all(clients.map((c) => c.endAsync()))
  })

  it('sends HTTP to both API processes in turn', async () => {
    // Only platform A has this bin in its register, so each answer says who gave it.
    await registerSensor(rig.a, 'wastebin', 'bin-only-on-a')
    const fromA: boolean[] = []
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`http://127.0.0.1:${rig.httpPort}/v1/sensors`)
      expect(res.status).toBe(200)
      fromA.push((await res.text()).includes('bin-only-on-a'))
    }
    expect(fromA.filter(Boolean).length).toBe(5)
  })

  it('routes new MQTT connections to the remaining broker when one goes away', async () => {
    await rig.a.close()
    // At once, before any health check has seen it: a refused connection is redispatched.
    for (let i = 0; i < 4; i++) {
      const client = await connectReader(rig.mqttPort, `open-after-${i}`)
      expect(clientsOf(rig.b)).toBeGreaterThanOrEqual(1)
      await client.endAsync()
    }
  }, 20_000)
})
