import { describe, expect, it } from 'vitest'
import { scanPayload } from '../../../ingest/privacy/identifiers.js'

/**
 * scanPayload remembers literal texts it found clean, so the keys, names and units every
 * message repeats are not scanned again. What it remembers must never change a verdict.
 */
const scan = (payload: unknown, sensorId: string): ReturnType<typeof scanPayload> => scanPayload(Buffer.from(JSON.stringify(payload)), sensorId)

describe('scanPayload with literals it has cleared before', () => {
  const pack = (extra: Record<string, unknown>): unknown => [{ bn: 'snuffel-7:', bt: 1764504000, n: 'pm25', u: 'ug/m3', v: 12, ...extra }]

  it('still finds an identifier after, before and among cleared literals, and names its key', () => {
    expect(scan(pack({}), 'snuffel-7')).toBeUndefined()
    expect(scan(pack({ vs: 'jan@example.nl' }), 'snuffel-7')).toEqual({ kind: 'email', field: 'vs' })
    expect(scan([{ note: 'a4:5e:60:d1:22:9b' }, pack({})], 'snuffel-7')).toEqual({ kind: 'mac', field: 'note' })
    expect(scan([pack({}), { n: 'ok', tag: '+31612345678', u: 'ug/m3' }], 'snuffel-7')).toEqual({ kind: 'phone', field: 'tag' })
  })

  it('gives the same verdict to a message seen twice', () => {
    const messages = [pack({}), pack({ vs: 'PB-12-BT' }), { n: 'pm25', ip: '10.0.0.1' }, ['x', '352099001761481']]
    const first = messages.map((m) => scan(m, 'snuffel-7'))
    expect(messages.map((m) => scan(m, 'snuffel-7'))).toEqual(first)
    expect(first.map((f) => f?.kind)).toEqual([undefined, 'plate', 'ipv4', 'imei'])
  })

  it('remembers a text with the sensor id taken out, so another sensor sending that id is refused', () => {
    const id = 'bin-0123456789abcdef01'
    expect(scan([{ bn: `${id}:`, n: 'fill', v: 40 }], id)).toBeUndefined()
    expect(scan([{ bn: `${id}:`, n: 'fill', v: 40 }], 'bin-7')).toEqual({ kind: 'hex', field: 'bn' })
  })

  it('judges each of many distinct clean literals, past what it keeps, and then an identifier', () => {
    for (let i = 0; i < 12_000; i += 1_000) {
      const literals = Array.from({ length: 1_000 }, (_, j) => `street ${i + j}`)
      expect(scan({ notes: literals }, 'snuffel-7')).toBeUndefined()
    }
    expect(scan({ notes: ['street 1', 'street 2', 'jan@example.nl'] }, 'snuffel-7')).toEqual({ kind: 'email', field: 'notes' })
  })
})
