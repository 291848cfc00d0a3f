import { describe, expect, it } from 'vitest'
import { DECODERS } from '../../../ingest/decoders/index.js'
import { decodeJson } from '../../../ingest/decoders/json.js'
import { errorOf, NOW } from '../helpers.js'

const decode = (text: string) => decodeJson(Buffer.from(text, 'utf8'), NOW)
const codeOf = (text: string) => errorOf(() => decode(text)).code
const timeOf = (time: string) => decode(`{"pm25":1,"time":${time}}`)[0]?.time
const plain = (value: unknown) => JSON.parse(JSON.stringify(value))

describe('json decoder', () => {
  it('is the json row of the decoder table', () => {
    expect(DECODERS.json).toBe(decodeJson)
  })

  it('returns one group of the fields, without units, at "now" when there is no time', () => {
    const groups = decode('{"pm25":12.5,"pm10":20,"lat":52.09}')
    expect(groups).toHaveLength(1)
    expect(groups[0]?.time).toBeUndefined()
    expect(plain(groups[0]?.values)).toEqual({ pm25: 12.5, pm10: 20, lat: 52.09 })
    expect(plain(groups[0]?.units)).toEqual({})
  })

  it('takes "time" out of the values', () => {
    const [group] = decode('{"peopleCount":3,"time":1717243200}')
    expect(plain(group?.values)).toEqual({ peopleCount: 3 })
    expect(group?.time).toBe(1717243200000)
  })

  it('passes other value types through for the validator to judge', () => {
    expect(plain(decode('{"a":"x","b":true,"c":null,"d":[1],"e":{"f":1}}')[0]?.values)).toEqual({ a: 'x', b: true, c: null, d: [1], e: { f: 1 } })
  })

  it('returns an empty group for an empty object (the validator refuses it)', () => {
    expect(plain(decode('{}'))).toEqual([{ values: {}, units: {} }])
  })

  it('returns a null-prototype values object', () => {
    expect(Object.getPrototypeOf(decode('{"pm25":1}')[0]?.values)).toBeNull()
  })

  it.each(['[{"pm25":1}]', '[]', 'null', '3', '"pm25"', 'true'])('refuses %s: not an object', (payload) => {
    expect(codeOf(payload)).toBe('INGEST_ERR_MALFORMED')
  })

  describe('time as epoch seconds', () => {
    it('converts seconds to milliseconds', () => {
      expect(timeOf('1717243200')).toBe(1717243200000)
    })

    it('keeps fractional seconds to the millisecond', () => {
      expect(timeOf('1717243200.5')).toBe(1717243200500)
      expect(timeOf('1717243200.0004')).toBe(1717243200000)
    })

    it('is absolute even when small (unlike SenML)', () => {
      expect(timeOf('60')).toBe(60_000)
    })

    it('refuses seconds beyond the range of dates', () => {
      expect(codeOf('{"pm25":1,"time":1e13}')).toBe('INGEST_ERR_TIME')
    })
  })

  describe('time as RFC 3339 (section 5.6)', () => {
    it.each([
      ['2024-06-01T12:00:00Z', Date.UTC(2024, 5, 1, 12)],
      ['2024-06-01T14:00:00+02:00', Date.UTC(2024, 5, 1, 12)],
      ['2024-06-01T09:30:00-02:30', Date.UTC(2024, 5, 1, 12)],
      ['2024-06-01t12:00:00z', Date.UTC(2024, 5, 1, 12)],
      ['2024-06-01T12:00:00.123Z', Date.UTC(2024, 5, 1, 12, 0, 0, 123)],
      ['2024-06-01T12:00:00.1Z', Date.UTC(2024, 5, 1, 12, 0, 0, 100)],
      ['2024-06-01T12:00:00.999999999Z', Date.UTC(2024, 5, 1, 12, 0, 0, 999)],
      ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
      ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
      ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)],
      ['0050-01-01T00:00:00Z', Date.parse('0050-01-01T00:00:00Z')]
    ])('reads %s', (text, ms) => {
      expect(timeOf(`"${text}"`)).toBe(ms)
    })

    it.each([
      '2024-06-01T12:00:00',
      '2024-06-01',
      '2024-06-01 12:00:00Z',
      '2024-13-01T12:00:00Z',
      '2024-00-01T12:00:00Z',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-06-01T24:00:00Z',
      '2024-06-01T12:60:00Z',
      '2024-06-01T12:00:61Z',
      '2024-06-01T12:00:00+24:00',
      '2024-06-01T12:00:00.Z',
      '2024-6-1T12:00:00Z',
      '１２０２4-06-01T12:00:00Z',
      'yesterday',
      '1717243200',
      ''
    ])('refuses %s', (text) => {
      expect(codeOf(`{"pm25":1,"time":"${text}"}`)).toBe('INGEST_ERR_TIME')
    })
  })

  it.each(['true', 'null', '{}', '[]', '[1717243200]'])('refuses time %s: neither string nor number', (time) => {
    const err = errorOf(() => decode(`{"pm25":1,"time":${time}}`))
    expect(err.code).toBe('INGEST_ERR_TIME')
    expect(err.field).toBe('time')
  })

  describe('safe parse', () => {
    it('refuses invalid JSON', () => {
      for (const payload of ['{"pm25":1', '{"pm25":1,}', "{'pm25':1}", '{"pm25":NaN}', '{"pm25":Infinity}', '{"pm25":+1}', '{"pm25":.5}', '{"pm25":1.}', '{pm25:1}', '{"pm25":1}{}', ' ']) {
        expect(codeOf(payload), payload).toBe('INGEST_ERR_MALFORMED')
      }
    })

    it('refuses invalid UTF-8', () => {
      for (const bad of [[0xff], [0xfe], [0xc3], [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
        const payload = Buffer.concat([Buffer.from('{"pm25":1,"note":"'), Buffer.from(bad), Buffer.from('"}')])
        expect(errorOf(() => decodeJson(payload, NOW)).code).toBe('INGEST_ERR_MALFORMED')
      }
    })

    it('accepts a leading byte order mark (RFC 8259 section 8.1)', () => {
      const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"pm25":1}')])
      expect(plain(decodeJson(payload, NOW)[0]?.values)).toEqual({ pm25: 1 })
    })

    it('accepts white space around and inside', () => {
      expect(plain(decode(' \t\r\n{ "pm25" : 1 ,\n"pm10":2 }\n')[0]?.values)).toEqual({ pm25: 1, pm10: 2 })
    })

    it('decodes escaped names to the field they spell', () => {
      expect(plain(decode('{"p\\u006d25":1}')[0]?.values)).toEqual({ pm25: 1 })
    })

    it('refuses duplicate keys, also when spelled with escapes or nested', () => {
      for (const payload of ['{"pm25":1,"pm25":2}', '{"pm25":1,"p\\u006d25":2}', '{"time":1717243200,"time":"2024-06-01T12:00:00Z"}', '{"a":{"b":1,"b":1}}']) {
        expect(codeOf(payload), payload).toBe('INGEST_ERR_MALFORMED')
      }
    })

    it('names the duplicated field', () => {
      expect(errorOf(() => decode('{"pm25":1,"pm25":2}')).field).toBe('pm25')
    })

    it.each([
      '{"__proto__":{"polluted":true}}',
      '{"pm25":1,"a":{"b":[{"__proto__":{"polluted":true}}]}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"pm25":1,"x":{"prototype":1}}',
      '{"\\u005f_proto__":{"polluted":true}}'
    ])('refuses a reserved key at any depth: %s', (payload) => {
      expect(codeOf(payload)).toBe('INGEST_ERR_FORBIDDEN_KEY')
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })

    it('allows keys that merely contain a reserved word', () => {
      expect(Object.keys(decode('{"prototypeCount":1,"my__proto__":2}')[0]?.values ?? {})).toEqual(['prototypeCount', 'my__proto__'])
    })

    it('refuses a number that overflows a double and names its field', () => {
      const err = errorOf(() => decode('{"pm25":1e400}'))
      expect(err.code).toBe('INGEST_ERR_NOT_FINITE')
      expect(err.field).toBe('pm25')
      expect(codeOf('{"pm25":-1E+400}')).toBe('INGEST_ERR_NOT_FINITE')
      expect(codeOf('{"pm25":1,"time":1e400}')).toBe('INGEST_ERR_NOT_FINITE')
    })

    it('reads a number that underflows as zero, which is finite', () => {
      expect(decode('{"pm25":1e-400}')[0]?.values.pm25).toBe(0)
    })

    it('accepts nesting up to 8 levels and refuses 9', () => {
      expect(decode('{"a":[[[[[[[1]]]]]]]}')).toHaveLength(1)
      expect(codeOf('{"a":[[[[[[[[1]]]]]]]]}')).toBe('INGEST_ERR_MALFORMED')
      expect(codeOf('{"a":'.repeat(9) + '1' + '}'.repeat(9))).toBe('INGEST_ERR_MALFORMED')
    })

    it('never repeats payload values in its messages', () => {
      const secret = '06-12345678'
      for (const payload of [
        `{"pm25":1,"time":"${secret}"}`,
        `{"pm25":"${secret}","pm25":1}`,
        `{"pm25":"${secret}"`,
        `["${secret}"]`,
        `{"note":"${secret}","x":{"__proto__":1}}`
      ]) {
        expect(errorOf(() => decode(payload)).message).not.toContain('12345678')
      }
    })

    it('cuts a long duplicated key to 64 characters in the error', () => {
      const long = 'k'.repeat(100)
      const err = errorOf(() => decode(`{"${long}":1,"${long}":2}`))
      expect(err.field).toBe('k'.repeat(64))
      expect(err.message).not.toContain('k'.repeat(65))
    })
  })
})
