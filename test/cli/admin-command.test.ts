import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAdmin, sendsTokenInClear } from '../../cli/admin-command.js'
import { freePort } from '../helpers/free-port.js'
import { ADMIN_TOKEN, api, connectSensor, registerSensor, registration, startTestPlatform, ZONE_VREDENBURG, type TestPlatform } from '../helpers/platform.js'

/**
 * The admin command against a platform on loopback, over its real admin API: each command
 * does what its help says, prints what an admin needs (and a secret only once), and every
 * mistake or refusal ends with a message that says what to do and a non-zero exit code.
 */
describe('npm run admin', () => {
  let p: TestPlatform
  let dir: string
  let env: Record<string, string>

  /** Runs the command in this process, as the entry file does; answers exit code and output. */
  async function admin (args: string[], options: { stdin?: string, env?: Record<string, string> } = {}): Promise<{ code: number, stdout: string, stderr: string }> {
    let stdout = ''
    let stderr = ''
    const code = await runAdmin(args, options.env ?? env, {
      stdout: (text) => { stdout += text },
      stderr: (text) => { stderr += text },
      stdin: async () => options.stdin ?? ''
    })
    return { code, stdout, stderr }
  }
  const file = (name: string, content: unknown): string => {
    const path = join(dir, name)
    writeFileSync(path, JSON.stringify(content))
    return path
  }

  beforeAll(async () => {
    p = await startTestPlatform()
    dir = mkdtempSync(join(tmpdir(), 'sensorstad-admin-'))
    // As an admin's shell has them: the token, and the platform's port.
    env = { ADMIN_TOKEN, HTTP_PORT: String(p.httpPort) }
  })
  afterAll(async () => {
    await p?.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('stores a zone, registers a crowd monitor in it, and prints the password that connects', async () => {
    const zone = await admin(['zone', file('zone.json', ZONE_VREDENBURG)])
    expect(zone).toMatchObject({ code: 0, stderr: '' })
    expect(zone.stdout).toMatch(/^zone vredenburg stored, walkable area \d+ m2\n$/)

    const registered = await admin(['register', '-'], { stdin: JSON.stringify(registration('crowd', 'crowd-cli')) })
    expect(registered.code).toBe(0)
    expect(registered.stderr).toMatch(/shown this once/)
    const password = /^password: +(\S+)$/m.exec(registered.stdout)?.[1]
    expect(password).toBeDefined()
    expect(registered.stdout).toMatch(/^senml: +utrecht\/v1\/crowd\/crowd-cli\/senml$/m)
    const client = await connectSensor(p, { id: 'crowd-cli', password: password! })
    await client.endAsync()
  })

  it('lists the sensors and zones as tables, and one sensor as JSON', async () => {
    await registerSensor(p, 'crowd', 'crowd-listed')
    await registerSensor(p, 'wastebin', 'bin-listed')
    const sensors = await admin(['sensors'])
    expect(sensors.code).toBe(0)
    expect(sensors.stdout.split('\n')[0]).toMatch(/^id +kind +status +where +name$/)
    expect(sensors.stdout).toMatch(/^crowd-listed +crowd +active +vredenburg +Test crowd crowd-listed$/m)
    expect(sensors.stdout).toMatch(/^bin-listed +wastebin +active +52\.0928,5\.1176 +Test wastebin bin-listed$/m)
    const zones = await admin(['zones'])
    expect(zones.stdout).toMatch(/^vredenburg +\d+ +5000 +Vredenburg$/m)
    const one = await admin(['sensor', 'crowd-listed'])
    expect(JSON.parse(one.stdout)).toMatchObject({ sensor: { id: 'crowd-listed', status: 'active' }, topics: { errors: 'utrecht/v1/crowd/crowd-listed/errors' } })
    const json = await admin(['sensors', '--json'])
    expect(JSON.parse(json.stdout).data.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(['crowd-listed', 'bin-listed']))
  })

  it('suspends, resumes and rotates: the old password stops working, the new one connects', async () => {
    const bin = await registerSensor(p, 'wastebin', 'bin-rotated')
    expect(await admin(['suspend', bin.id])).toMatchObject({ code: 0, stdout: 'bin-rotated: suspended\n' })
    expect(await p.registry.authenticateSensor(bin.id, bin.password)).toBeUndefined()
    expect(await admin(['resume', bin.id])).toMatchObject({ code: 0, stdout: 'bin-rotated: active\n' })
    expect(await p.registry.authenticateSensor(bin.id, bin.password)).toMatchObject({ id: bin.id })
    const rotated = await admin(['rotate', bin.id])
    expect(rotated.code).toBe(0)
    expect(rotated.stderr).toMatch(/shown this once; the old one no longer works/)
    const password = /^password: +(\S+)$/m.exec(rotated.stdout)![1]!
    expect(await p.registry.authenticateSensor(bin.id, bin.password)).toBeUndefined()
    const client = await connectSensor(p, { id: bin.id, password })
    await client.endAsync()
  })

  it('issues a token that the API takes for its role', async () => {
    const issued = await admin(['token', 'enforcement', 'Team Centrum'])
    expect(issued.code).toBe(0)
    expect(issued.stderr).toMatch(/Team Centrum \(enforcement\), shown this once/)
    const token = issued.stdout.trim()
    expect((await api(p, 'GET', '/v1/alerts', undefined, token)).status).toBe(200)
    expect((await api(p, 'GET', '/v1/admin/sensors', undefined, token)).status).toBe(403)
  })

  it('passes on the platform\'s refusal with its code, and changes nothing', async () => {
    const incomplete = await admin(['register', file('incomplete.json', { ...registration('wastebin', 'bin-cli'), legalBasis: undefined })])
    expect(incomplete.code).toBe(1)
    expect(incomplete.stderr).toMatch(/^POST \/v1\/admin\/sensors answered 400 \(API_ERR_VALIDATION: .*legalBasis/)
    expect(p.registry.getSensor('bin-cli')).toBeUndefined()
    const unknown = await admin(['suspend', 'no-such-sensor'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/answered 404 \(REGISTRY_ERR_NOT_FOUND/)
  })

  it('says what to do about a missing or wrong token, an unreachable platform and a bad command line', async () => {
    const none = await admin(['sensors'], { env: { HTTP_PORT: String(p.httpPort) } })
    expect(none).toMatchObject({ code: 2, stdout: '' })
    expect(none.stderr).toMatch(/no admin token: pass --token or set ADMIN_TOKEN/)
    const wrong = await admin(['sensors', '--token', 'not-a-token-of-this-platform-at-all'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/answered 401 .*pass --token or set ADMIN_TOKEN/)
    const closed = await freePort()
    const away = await admin(['sensors', '--url', `http://127.0.0.1:${closed}`])
    expect(away.code).toBe(1)
    expect(away.stderr).toBe(`cannot reach the platform at http://127.0.0.1:${closed} (ECONNREFUSED): start it (npm start) or pass --url\n`)
    for (const args of [['frobnicate'], ['suspend'], ['sensors', 'extra'], ['register', join(dir, 'missing.json')], ['sensors', '--bogus']]) {
      const mistake = await admin(args)
      expect(mistake.code, args.join(' ')).toBe(2)
      expect(mistake.stderr, args.join(' ')).toMatch(/npm run admin -- --help/)
    }
    expect((await admin(['sensors', '--url', 'ftp://127.0.0.1'])).code).toBe(2)
    expect((await admin(['sensors', '--url', 'not a url'])).stderr).toMatch(/--url not a url is not a URL/)
    writeFileSync(join(dir, 'broken.json'), '{"id": ')
    expect((await admin(['zone', join(dir, 'broken.json')])).stderr).toMatch(/broken\.json is not JSON/)
  })

  it('warns before sending the token unencrypted to another machine, and not on loopback', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): nothing answers there, so give up quickly.
    const remote = await admin(['sensors', '--url', 'http://192.0.2.1:9', '--timeout', '1'])
    expect(remote.code).toBe(1)
    expect(remote.stderr).toMatch(/^warning: http:\/\/192\.0\.2\.1:9 is plain HTTP to another machine, so the admin token travels unencrypted; use https:\/\//)
    const local = await admin(['zones'])
    expect(local.stderr).toBe('')
    for (const [url, clear] of [['http://example.org', true], ['http://10.0.0.5:8080', true], ['https://example.org', false], ['http://localhost:8080', false], ['http://127.0.0.1:8080', false], ['http://127.1.2.3', false], ['http://[::1]:8080', false]] as const) {
      expect(sendsTokenInClear(url), url).toBe(clear)
    }
    expect((await admin(['zones', '--timeout', '0'])).code).toBe(2)
  })

  it('runs as npm run admin, with --help and with the environment', async () => {
    const help = await npmRunAdmin(['--help'], env)
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: npm run admin -- <command>')
    await api(p, 'POST', '/v1/admin/zones', { ...ZONE_VREDENBURG, id: 'neude', name: 'Neude' })
    const listed = await npmRunAdmin(['zones'], env)
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/^neude +\d+ +5000 +Neude$/m)
  })
})

function npmRunAdmin (args: string[], env: Record<string, string>): Promise<{ code: number | null, stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'admin', '--', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], timeout: 30_000 })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout }))
  })
}
