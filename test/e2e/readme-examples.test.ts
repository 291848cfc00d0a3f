import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, api, connectSensor, registerSensor, startTestPlatform, type TestPlatform } from '../helpers/platform.js'
import { printedJson, runExample, shellExamples, type ExampleRun } from '../helpers/readme-examples.js'

/**
 * The README's copy-paste examples for each user, run in bash as a reader would paste them,
 * against a platform on loopback: each must do what the README says. Only the host and ports
 * are pointed at the test's platform, and TOKEN and SECRET set as the README tells the reader
 * to set them. A route, parameter or payload the README shows that the platform no longer
 * takes fails here.
 */
const hasMosquitto = spawnSync('mosquitto_pub', ['--help']).error === undefined
if (!hasMosquitto && process.env.CI !== undefined) throw new Error('CI needs mosquitto_pub and mosquitto_sub (Debian mosquitto-clients)')

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** Assignments a section makes for its later commands (`H=...`); TOKEN and SECRET are the reader's own. */
function assignments (commands: readonly string[]): string[] {
  return commands.filter((c) => /^(export )?[A-Za-z_]+=/.test(c) && !/^(export )?(TOKEN|SECRET)=/.test(c))
}

describe.runIf(hasMosquitto)('the README\'s examples', () => {
  // A platform per test: each section is pasted on its own, as a reader of that section would.
  let p: TestPlatform

  const run = async (command: string, section: readonly string[], env: Record<string, string>): Promise<ExampleRun> =>
    runExample(command, { setup: assignments(section), env, httpPort: p.httpPort, mqttPort: p.mqttPort })
  const commandsOf = (heading: string): string[] => {
    const commands = shellExamples(README, heading)
    return commands.filter((c) => !assignments(commands).includes(c) && !/^(export )?(TOKEN|SECRET)=/.test(c))
  }
  const tokenFor = async (role: string): Promise<string> => (await api(p, 'POST', '/v1/admin/tokens', { role, name: `README ${role}` })).body.token

  beforeEach(async () => {
    p = await startTestPlatform()
  })
  afterEach(async () => {
    await p?.destroy()
  })

  it('For an admin: registers the zone and the crowd monitor, suspends, resumes and rotates it, and issues tokens, with curl and with npm run admin', async () => {
    const section = shellExamples(README, 'For an admin')
    const commands = commandsOf('For an admin')
    expect(commands.length).toBeGreaterThanOrEqual(6)
    const secrets = new Map<string, string>()
    let enforcement = ''
    const cli = commands.filter((c) => c.includes('npm run admin'))
    expect(cli.length).toBeGreaterThanOrEqual(4)
    for (const command of commands.filter((c) => !cli.includes(c))) {
      const result = await run(command, section, { TOKEN: ADMIN_TOKEN })
      expect(result.exitCode, `${command}\n${result.stderr}`).toBe(0)
      expect(result.statuses, `${command}\n${result.stdout}`).toHaveLength(1)
      expect(result.statuses[0], `${command}\n${result.stdout}`).toBeGreaterThanOrEqual(200)
      expect(result.statuses[0], `${command}\n${result.stdout}`).toBeLessThan(300)
      const body = printedJson(result)
      if (body.credentials !== undefined) secrets.set(body.credentials.username, body.credentials.password)
      if (body.role === 'enforcement') enforcement = body.token
    }
    // The secret the last answer (rotate) handed out is the one that connects.
    const monitor = await connectSensor(p, { id: 'crowd-1', password: secrets.get('crowd-1')! })
    await monitor.endAsync()
    expect(await api(p, 'GET', '/v1/alerts', undefined, enforcement)).toMatchObject({ status: 200 })
    expect(p.registry.getSensor('crowd-1')).toMatchObject({ kind: 'crowd', zoneId: 'vredenburg', status: 'active' })

    // The admin command's examples, with ADMIN_TOKEN set and the platform's port as its default.
    let printed = ''
    for (const command of cli) {
      const result = await run(command, section, { TOKEN: ADMIN_TOKEN, ADMIN_TOKEN, HTTP_PORT: String(p.httpPort) })
      expect(result.exitCode, `${command}\n${result.stderr}`).toBe(0)
      printed += result.stdout
    }
    expect(printed).toMatch(/^crowd-1 +crowd +active +vredenburg +Druktemonitor Vredenburg$/m)
    expect(p.registry.getSensor('bin-1')).toMatchObject({ kind: 'wastebin', status: 'suspended' })
    const operations = /^([\w-]{24,})$/m.exec(printed)?.[1]
    expect((await api(p, 'GET', '/v1/collection', undefined, operations ?? null)).status).toBe(200)
  })

  it('For a sensor maker: the bin\'s and the crowd monitor\'s readings are stored, and none is refused', async () => {
    const secrets = new Map((await Promise.all([registerSensor(p, 'wastebin', 'bin-1'), registerSensor(p, 'crowd', 'crowd-1')])).map((s) => [s.id, s.password]))
    const section = shellExamples(README, 'For a sensor maker')
    const commands = commandsOf('For a sensor maker')
    expect(commands.filter((c) => c.startsWith('mosquitto_pub'))).toHaveLength(2)
    for (const command of commands) {
      const user = /-u (\S+)/.exec(command)?.[1]
      const secret = user === undefined ? undefined : secrets.get(user)
      expect(secret, `no secret for the sensor of ${command}`).toBeDefined()
      const result = await run(command, section, { SECRET: secret! })
      // mosquitto_sub on the errors topic hears nothing and stops when it waited long enough (27).
      const expected = command.startsWith('mosquitto_sub') ? 27 : 0
      expect(result.exitCode, `${command}\n${result.stderr}`).toBe(expected)
      expect(result.stdout, command).toBe('')
    }
    const latest = await api(p, 'GET', '/v1/latest?kind=wastebin', undefined, null)
    expect(latest.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ sensorId: 'bin-1', field: 'fillingLevel', value: 42 })]))
    const [crowd] = await p.store.latest({ sensorIds: ['crowd-1'] })
    expect(crowd).toMatchObject({ field: 'peopleCount', value: 134 })
  })

  it('For an enforcement officer: the alerts, their stream and the exact counts answer with that token', async () => {
    await registerSensor(p, 'crowd', 'crowd-1')
    const enforcement = await tokenFor('enforcement')
    const commands = commandsOf('For an enforcement officer')
    expect(commands.length).toBeGreaterThanOrEqual(4)
    for (const command of commands) {
      const result = await run(command, [], { TOKEN: enforcement })
      if (command.includes('/stream')) {
        // A stream stays open: curl gives up after its time (28) with the 200 in hand.
        expect(result.exitCode, command).toBe(28)
        expect(result.statuses, command).toEqual([200])
      } else if (command.includes('/ack')) {
        // The README's alert 42 does not exist here: the answer says so, and the route is there.
        expect(result.statuses, command).toEqual([404])
        expect(printedJson(result).code, command).toBe('API_ERR_NOT_FOUND')
      } else {
        expect(result.exitCode, `${command}\n${result.stderr}`).toBe(0)
        expect(result.statuses, `${command}\n${result.stdout}`).toEqual([200])
      }
    }
  })

  it('For a waste team: the collection list answers in JSON, CSV and GeoJSON', async () => {
    const operations = await tokenFor('operations')
    const commands = commandsOf('For a waste team')
    expect(commands).toHaveLength(3)
    for (const command of commands) {
      const result = await run(command, [], { TOKEN: operations })
      expect(result.exitCode, `${command}\n${result.stderr}`).toBe(0)
      expect(result.statuses, `${command}\n${result.stdout}`).toEqual([200])
    }
  })

  it('For a data user: every open route answers without a key, and the anonymous MQTT reader may listen', async () => {
    // The sensors the sections before set up, and a reading of the bin's.
    const bin = await registerSensor(p, 'wastebin', 'bin-1')
    await registerSensor(p, 'crowd', 'crowd-1')
    const device = await connectSensor(p, bin)
    await device.publishAsync('utrecht/v1/wastebin/bin-1/json', '{"fillingLevel": 42}', { qos: 1 })
    await device.endAsync()
    const commands = commandsOf('For a data user')
    expect(commands.length).toBeGreaterThanOrEqual(9)
    for (const command of commands) {
      const result = await run(command, [], {})
      if (command.startsWith('mosquitto_sub')) {
        // Accepted and subscribed (a refused reader exits at once with another code), then it waits its time out.
        expect(result.exitCode, `${command}\n${result.stderr}`).toBe(27)
        continue
      }
      expect(result.exitCode, `${command}\n${result.stderr}`).toBe(0)
      expect(result.statuses, `${command}\n${result.stdout.slice(0, 500)}`).toEqual([200])
      if (command.includes('/v1/latest')) {
        expect(printedJson(result).data).toEqual([expect.objectContaining({ sensorId: 'bin-1', field: 'fillingLevel', value: 42 })])
      }
    }
  })
})
