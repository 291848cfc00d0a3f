import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * `npm start` as a user runs it: the entry process on a fresh DATA_DIR prints where
 * everything is and a first admin token, and the printed instructions work, including a
 * reading sent with mosquitto_pub (Debian mosquitto-clients; CI installs it).
 */
const hasMosquittoPub = spawnSync('mosquitto_pub', ['--help']).error === undefined

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sensorstad-start-'))
  let child: ChildProcess
  let banner = ''

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_WS_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
    delete env.ADMIN_TOKEN
    child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stderr!.on('data', (chunk: Buffer) => { banner += chunk.toString() })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner in time:\n${banner}`)), 20_000)
      child.stdout!.on('data', (chunk: Buffer) => {
        banner += chunk.toString()
        if (banner.includes('Stop with Ctrl-C')) { clearTimeout(timer); resolve() }
      })
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${banner}`)) })
    })
  })

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('prints the URLs and a first admin token, and serves /healthz', async () => {
    const http = /API +(http:\/\/localhost:\d+)\/v1\/sensors/.exec(banner)?.[1]
    expect(http).toBeDefined()
    expect(banner).toMatch(/MQTT +mqtt:\/\/localhost:\d+/)
    expect(banner).toMatch(/MQTT over WS +ws:\/\/localhost:\d+\/mqtt/)
    expect(banner).toMatch(/sst_[0-9a-f]{12}_\S{43}/)
    expect(banner).toContain('Every admin task from a terminal: npm run admin -- --help')
    const res = await fetch(`${http!.replace('localhost', '127.0.0.1')}/healthz`)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it.runIf(hasMosquittoPub || process.env.CI !== undefined)('accepts a reading from mosquitto_pub, following the printed instructions', async () => {
    const http = /API +(http:\/\/localhost:\d+)/.exec(banner)![1]!.replace('localhost', '127.0.0.1')
    const mqttPort = /MQTT +mqtt:\/\/localhost:(\d+)/.exec(banner)![1]!
    const token = /sst_[0-9a-f]{12}_\S{43}/.exec(banner)![0]
    // The registration body exactly as printed.
    const body = /-d '(\{.*\})'/.exec(banner)![1]!
    const registered = await fetch(`${http}/v1/admin/sensors`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body })
    expect(registered.status).toBe(201)
    const { credentials } = await registered.json() as { credentials: { password: string } }
    const printed = /mosquitto_pub (.*) \\\n\s+-t (\S+) -m '(.*)'/.exec(banner)!
    const result = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', mqttPort, '-i', 'bin-1', '-u', 'bin-1', '-P', credentials.password, '-q', '1', '-t', printed[2]!, '-m', printed[3]!], { encoding: 'utf8', timeout: 10_000 })
    expect(result.status, result.stderr).toBe(0)
    const latest = await (await fetch(`${http}/v1/latest?sensor=bin-1`)).json() as { data: Array<{ field: string, value: number }> }
    expect(latest.data).toEqual([expect.objectContaining({ field: 'fillingLevel', value: 42 })])
  })
})
