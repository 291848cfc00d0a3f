import { describe, expect, it } from 'vitest'
import { DECODERS } from '../../../ingest/decoders/index.js'
import { decodeSenml } from '../../../ingest/decoders/senml.js'
import { errorOf, NOW } from '../helpers.js'

const decode = (text: string) => decodeSenml(Buffer.from(text, 'utf8'), NOW)
const codeOf = (text: string) => errorOf(() => decode(text)).code
const plain = (value: unknown) => JSON.parse(JSON.stringify(value))

describe('senml decoder', () => {
  it('is the senml row of the decoder table', () => {
    expect(DECODERS.senml).toBe(decodeSenml)
  })

  describe('RFC 8428 examples', () => {
    it('5.1.1 single data point: the field is the part after the last colon, time "now"', () => {
      const groups = decode('[{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}]')
      expect(plain(groups)).toEqual([{ values: { '10e2073a01080063': 23.1 }, units: { '10e2073a01080063': 'Cel' } }])
      expect(groups[0]?.time).toBeUndefined()
    })

    it('5.1.2 multiple data points at an unspecified time form one group', () => {
      const groups = decode(`[
        {"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},
        {"n":"current","u":"A","v":1.2}
      ]`)
      expect(groups).toHaveLength(1)
      expect(groups[0]?.time).toBeUndefined()
      expect(plain(groups[0]?.values)).toEqual({ voltage: 120.1, current: 1.2 })
      expect(plain(groups[0]?.units)).toEqual({ voltage: 'V', current: 'A' })
    })

    it('5.1.2 with base time, base unit, bver 5 and relative record times: one group per time', () => {
      const groups = decode(`[
        {"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,
         "bu":"A","bver":5,
         "n":"voltage","u":"V","v":120.1},
        {"n":"current","t":-5,"v":1.2},
        {"n":"current","t":-4,"v":1.3},
        {"n":"current","t":-3,"v":1.4},
        {"n":"current","t":-2,"v":1.5},
        {"n":"current","t":-1,"v":1.6},
        {"n":"current","v":1.7}
      ]`)
      expect(plain(groups)).toEqual([
        { time: 1276020076001, values: { voltage: 120.1, current: 1.7 }, units: { voltage: 'V', current: 'A' } },
        { time: 1276020071001, values: { current: 1.2 }, units: { current: 'A' } },
        { time: 1276020072001, values: { current: 1.3 }, units: { current: 'A' } },
        { time: 1276020073001, values: { current: 1.4 }, units: { current: 'A' } },
        { time: 1276020074001, values: { current: 1.5 }, units: { current: 'A' } },
        { time: 1276020075001, values: { current: 1.6 }, units: { current: 'A' } }
      ])
    })

    it('5.1.3 tells fields apart by unit only, which names one field twice at a time: refused', () => {
      expect(codeOf(`[
        {"bn":"urn:dev:ow:10e2073a01080063","bt":1.320067464e+09,"bu":"%RH","v":20},
        {"u":"lon","v":24.30621},
        {"u":"lat","v":60.07965}
      ]`)).toBe('INGEST_ERR_SENML')
    })

    it('5.1.6 as printed names temperature twice at one time (two devices): refused', () => {
      expect(codeOf(`[
        {"bn":"2001:db8::2/","bt":1.320078429e+09,
         "n":"temperature","u":"Cel","v":25.2},
        {"n":"humidity","u":"%RH","v":30},
        {"bn":"2001:db8::1/","n":"temperature","u":"Cel","v":12.3},
        {"n":"humidity","u":"%RH","v":67}
      ]`)).toBe('INGEST_ERR_SENML')
    })

    it('5.1.6 with the second device 1 s later: base names ending in "/", base time kept across a new base name', () => {
      const groups = decode(`[
        {"bn":"2001:db8::2/","bt":1.320078429e+09,"n":"temperature","u":"Cel","v":25.2},
        {"n":"humidity","u":"%RH","v":30},
        {"bn":"2001:db8::1/","n":"temperature","u":"Cel","v":12.3,"t":1}
      ]`)
      expect(plain(groups)).toEqual([
        { time: 1320078429000, values: { temperature: 25.2, humidity: 30 }, units: { temperature: 'Cel', humidity: '%RH' } },
        { time: 1320078430000, values: { temperature: 12.3 }, units: { temperature: 'Cel' } }
      ])
    })

    it('5.1.7 a record of base fields only sets context for the records after it', () => {
      const groups = decode(`[
        {"bn":"urn:dev:ow:10e2073a01080063:"},
        {"n":"temp","u":"Cel","v":23.1},
        {"n":"heat","u":"/","v":1}
      ]`)
      expect(plain(groups)).toEqual([{ values: { temp: 23.1, heat: 1 }, units: { temp: 'Cel', heat: '/' } }])
    })

    it('5.1.7 two lights dimmed now-ish and switched off 0.1 s after the base time', () => {
      const groups = decode(`[
        {"bt":1.320078429e+09,"bu":"/","n":"2001:db8::3","v":0.5},
        {"n":"2001:db8::4","v":0.5},
        {"n":"2001:db8::3","t":0.1,"v":0},
        {"n":"2001:db8::4","t":0.1,"v":0}
      ]`)
      expect(plain(groups)).toEqual([
        { time: 1320078429000, values: { 3: 0.5, 4: 0.5 }, units: { 3: '/', 4: '/' } },
        { time: 1320078429100, values: { 3: 0, 4: 0 }, units: { 3: '/', 4: '/' } }
      ])
    })
  })

  describe('time (RFC 8428 section 4.5.3)', () => {
    it('counts a negative time back from now', () => {
      expect(decode('[{"n":"pm25","v":1,"t":-60}]')[0]?.time).toBe(NOW - 60_000)
    })

    it('counts a small positive time forward from now', () => {
      expect(decode('[{"n":"pm25","v":1,"t":10}]')[0]?.time).toBe(NOW + 10_000)
    })

    it('adds base time and time before deciding relative or absolute', () => {
      expect(decode('[{"bt":-120,"n":"pm25","v":1,"t":60}]')[0]?.time).toBe(NOW - 60_000)
      expect(decode('[{"bt":1700000000,"n":"pm25","v":1,"t":-1}]')[0]?.time).toBe(1699999999000)
    })

    it('treats 2**28 - 1 as relative and 2**28 as absolute', () => {
      expect(decode('[{"n":"pm25","v":1,"t":268435455}]')[0]?.time).toBe(NOW + 268435455000)
      expect(decode('[{"n":"pm25","v":1,"t":268435456}]')[0]?.time).toBe(268435456000)
    })

    it('keeps milliseconds of fractional seconds', () => {
      expect(decode('[{"n":"pm25","v":1,"t":1717243200.123}]')[0]?.time).toBe(1717243200123)
    })

    it('puts an explicit relative time of 0 in the same group as a record without time', () => {
      const groups = decode('[{"n":"pm25","v":1},{"n":"pm10","v":2,"t":0}]')
      expect(groups).toHaveLength(1)
      expect(plain(groups[0]?.values)).toEqual({ pm25: 1, pm10: 2 })
    })

    it('refuses a time beyond the range of dates', () => {
      expect(codeOf('[{"n":"pm25","v":1,"bt":1e13}]')).toBe('INGEST_ERR_TIME')
    })
  })

  describe('base fields (RFC 8428 section 4.1)', () => {
    it('adds the base value to every later value (section 4.5.4)', () => {
      const groups = decode('[{"bv":20,"n":"temperature","v":1.5},{"n":"pm25","v":-2,"t":-1}]')
      expect(groups.map((g) => plain(g.values))).toEqual([{ temperature: 21.5 }, { pm25: 18 }])
    })

    it('applies the base unit where a record has none, and the record unit over it (section 4.5.2)', () => {
      const groups = decode('[{"bu":"ug/m3","n":"pm25","v":1},{"n":"pm10","v":2},{"n":"temperature","u":"Cel","v":3}]')
      expect(plain(groups[0]?.units)).toEqual({ pm25: 'ug/m3', pm10: 'ug/m3', temperature: 'Cel' })
    })

    it('records no unit when neither u nor bu is given', () => {
      expect(plain(decode('[{"n":"pm25","v":1}]')[0]?.units)).toEqual({})
    })

    it('lets a later base field replace an earlier one', () => {
      const groups = decode('[{"bt":1700000000,"n":"pm25","v":1},{"bt":1700000060,"n":"pm25","v":2}]')
      expect(groups.map((g) => g.time)).toEqual([1700000000000, 1700000060000])
    })

    it.each([
      ['bn', '1'], ['bt', '"1700000000"'], ['bu', '1'], ['bv', '"1"'], ['bs', 'true'], ['bver', '"10"'],
      ['bn', 'null'], ['bt', '[]']
    ])('refuses %s of the wrong type (%s)', (label, value) => {
      expect(codeOf(`[{"${label}":${value},"n":"pm25","v":1}]`)).toBe('INGEST_ERR_SENML')
    })

    it('accepts version 10 and the older version 5', () => {
      expect(decode('[{"bver":10,"n":"pm25","v":1}]')).toHaveLength(1)
      expect(decode('[{"bver":5,"n":"pm25","v":1}]')).toHaveLength(1)
    })

    it.each(['11', '0', '-1', '10.5'])('refuses version %s (section 4.4)', (bver) => {
      expect(codeOf(`[{"bver":${bver},"n":"pm25","v":1}]`)).toBe('INGEST_ERR_SENML')
    })

    it('refuses records of different versions in one pack (section 4.4)', () => {
      expect(codeOf('[{"n":"pm25","v":1},{"bver":5,"n":"pm10","v":1}]')).toBe('INGEST_ERR_SENML')
      expect(codeOf('[{"bver":5,"n":"pm25","v":1},{"bver":10,"n":"pm10","v":1}]')).toBe('INGEST_ERR_SENML')
    })

    it('accepts a repeated base version equal to the default', () => {
      expect(decode('[{"n":"pm25","v":1},{"bver":10,"n":"pm10","v":1}]')).toHaveLength(1)
    })
  })

  describe('names and fields (RFC 8428 section 4.5.1)', () => {
    it.each([
      ['peopleCount', 'bare name'],
      ['urn:dev:ow:10e2073a01080063:peopleCount', 'device URN'],
      ['crowd-001:peopleCount', 'sensor id'],
      ['utrecht/zone-7/peopleCount', 'path'],
      ['a:b/peopleCount', 'both separators']
    ])('takes the part after the last separator of %s (%s)', (name) => {
      expect(Object.keys(decode(`[{"n":"${name}","v":3}]`)[0]?.values ?? {})).toEqual(['peopleCount'])
    })

    it('concatenates base name and name', () => {
      expect(Object.keys(decode('[{"bn":"crowd-001:people","n":"Count","v":3}]')[0]?.values ?? {})).toEqual(['peopleCount'])
    })

    it.each([
      ['[{"v":1}]', 'no name at all'],
      ['[{"n":"pm 25","v":1}]', 'a space'],
      ['[{"n":"-pm25","v":1}]', 'a leading dash'],
      ['[{"n":"pm25\\u00e9","v":1}]', 'a non-ASCII letter'],
      ['[{"n":"urn:dev:ow:10e2073a01080063:","v":1}]', 'a trailing separator']
    ])('refuses %s (%s)', (payload) => {
      expect(codeOf(payload)).toBe('INGEST_ERR_SENML')
    })
  })

  describe('values (RFC 8428 section 4.2)', () => {
    it('passes string, boolean and data values through for the validator to judge', () => {
      const groups = decode('[{"n":"label","vs":"Machine Room"},{"n":"open","vb":false},{"n":"reader","vd":"aGkgCg"}]')
      expect(plain(groups[0]?.values)).toEqual({ label: 'Machine Room', open: false, reader: 'aGkgCg' })
    })

    it('does not add the base value to a string value', () => {
      expect(decode('[{"bv":5,"n":"label","vs":"1"}]')[0]?.values.label).toBe('1')
    })

    it.each([
      ['[{"n":"pm25"}]', 'no value'],
      ['[{"n":"pm25","s":12}]', 'a sum only'],
      ['[{"n":"pm25","u":"ug/m3","t":-1}]', 'unit and time only'],
      ['[{}]', 'an empty record'],
      ['[{"n":"pm25","v":1,"vs":"1"}]', 'v and vs'],
      ['[{"n":"pm25","vb":true,"vd":"AA"}]', 'vb and vd']
    ])('refuses a record with %s (%s)', (payload) => {
      expect(codeOf(payload)).toBe('INGEST_ERR_SENML')
    })

    it.each([
      ['n', '1'], ['u', '1'], ['v', '"1"'], ['vs', '1'], ['vb', '"true"'], ['vd', '1'], ['s', '"1"'], ['t', '"1"'], ['ut', '"x"'], ['v', 'null']
    ])('refuses %s of the wrong type (%s)', (label, value) => {
      const rest = label === 'n' ? '"v":1' : label.startsWith('v') ? '"n":"pm25"' : '"n":"pm25","v":1'
      expect(codeOf(`[{"${label}":${value},${rest}}]`)).toBe('INGEST_ERR_SENML')
    })

    it('refuses the same field twice at the same time', () => {
      const err = errorOf(() => decode('[{"n":"pm25","v":1,"t":-1},{"n":"x:pm25","v":2,"t":-1}]'))
      expect(err.code).toBe('INGEST_ERR_SENML')
      expect(err.field).toBe('pm25')
    })

    it('accepts the same field at different times', () => {
      expect(decode('[{"n":"pm25","v":1,"t":-2},{"n":"pm25","v":2,"t":-1}]')).toHaveLength(2)
    })

    it('refuses a base value and value that overflow together', () => {
      const err = errorOf(() => decode('[{"bv":1e308,"n":"pm25","v":1e308}]'))
      expect(err.code).toBe('INGEST_ERR_NOT_FINITE')
      expect(err.field).toBe('pm25')
    })
  })

  describe('labels (RFC 8428 section 4.4)', () => {
    it('ignores unknown labels', () => {
      expect(plain(decode('[{"n":"pm25","v":1,"l":"x","foo":{"bar":[1]}}]')[0]?.values)).toEqual({ pm25: 1 })
    })

    it('refuses a must-understand label ending in "_"', () => {
      const err = errorOf(() => decode('[{"n":"pm25","v":1,"rt_":"x"}]'))
      expect(err.code).toBe('INGEST_ERR_SENML')
      expect(err.field).toBe('rt_')
    })

    it('refuses a must-understand label in a base-only record too', () => {
      expect(codeOf('[{"bn":"a:","b_":1},{"n":"pm25","v":1}]')).toBe('INGEST_ERR_SENML')
    })
  })

  describe('pack shape', () => {
    it.each(['{"n":"pm25","v":1}', '1', '"x"', 'null', 'true'])('refuses %s: not an array', (payload) => {
      expect(codeOf(payload)).toBe('INGEST_ERR_SENML')
    })

    it('refuses an empty pack', () => {
      expect(codeOf('[]')).toBe('INGEST_ERR_EMPTY')
    })

    it('refuses a pack of base fields only', () => {
      expect(codeOf('[{"bn":"a:"},{"bt":1700000000}]')).toBe('INGEST_ERR_EMPTY')
    })

    it.each(['[1]', '[[{"n":"pm25","v":1}]]', '[null]', '["x"]', '[{"n":"pm25","v":1},2]'])('refuses %s: a record that is not an object', (payload) => {
      expect(codeOf(payload)).toBe('INGEST_ERR_SENML')
    })

    it('returns null-prototype value and unit objects', () => {
      const [group] = decode('[{"n":"pm25","u":"ug/m3","v":1}]')
      expect(Object.getPrototypeOf(group?.values)).toBeNull()
      expect(Object.getPrototypeOf(group?.units)).toBeNull()
    })
  })

  describe('safe parse', () => {
    it('refuses invalid JSON', () => {
      for (const payload of ['[{"n":"pm25","v":1}', '[{"n":"pm25","v":1},]', "[{'n':'pm25','v':1}]", '[{"n":"pm25","v":NaN}]', '[{"n":"pm25","v":01}]', '[{"n":"pm\t25","v":1}]', '[{"n":"pm\\x25","v":1}]', '[{"n":"pm25","v":1}] x', '']) {
        expect(codeOf(payload), payload).toBe('INGEST_ERR_MALFORMED')
      }
    })

    it('refuses invalid UTF-8', () => {
      const head = Buffer.from('[{"n":"pm25","vs":"', 'utf8')
      const tail = Buffer.from('"}]', 'utf8')
      for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
        const payload = Buffer.concat([head, Buffer.from(bad), tail])
        expect(errorOf(() => decodeSenml(payload, NOW)).code).toBe('INGEST_ERR_MALFORMED')
      }
    })

    it('decodes multi-byte UTF-8 and escapes', () => {
      expect(decode('[{"n":"label","vs":"caf\u00e9 \\u00e9\\n"}]')[0]?.values.label).toBe('café é\n')
    })

    it('refuses duplicate keys in one record, also when spelled with escapes', () => {
      expect(codeOf('[{"n":"pm25","v":1,"v":2}]')).toBe('INGEST_ERR_MALFORMED')
      expect(codeOf('[{"n":"pm25","v":1,"\\u0076":2}]')).toBe('INGEST_ERR_MALFORMED')
    })

    it('allows the same key in different records', () => {
      expect(decode('[{"n":"pm25","v":1},{"n":"pm10","v":2}]')).toHaveLength(1)
    })

    it.each([
      '[{"n":"pm25","v":1,"__proto__":{"polluted":true}}]',
      '[{"n":"pm25","v":1,"x":{"y":{"constructor":{"prototype":{"polluted":true}}}}}]',
      '[{"n":"pm25","v":1,"prototype":1}]',
      '[{"n":"pm25","v":1,"__proto\\u005f_":{"polluted":true}}]'
    ])('refuses a reserved key at any depth: %s', (payload) => {
      expect(codeOf(payload)).toBe('INGEST_ERR_FORBIDDEN_KEY')
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })

    it('refuses a number that overflows a double', () => {
      expect(codeOf('[{"n":"pm25","v":1e400}]')).toBe('INGEST_ERR_NOT_FINITE')
      expect(codeOf('[{"n":"pm25","v":-1e400}]')).toBe('INGEST_ERR_NOT_FINITE')
      expect(codeOf('[{"n":"pm25","v":1,"t":1e400}]')).toBe('INGEST_ERR_NOT_FINITE')
    })

    it('accepts nesting up to 8 levels and refuses 9', () => {
      // pack (1) > record (2) > six arrays (8)
      expect(decode('[{"n":"pm25","v":1,"x":[[[[[[1]]]]]]}]')).toHaveLength(1)
      expect(codeOf('[{"n":"pm25","v":1,"x":[[[[[[[1]]]]]]]}]')).toBe('INGEST_ERR_MALFORMED')
    })

    it('refuses deep nesting without running out of stack', () => {
      expect(codeOf('['.repeat(100_000) + ']'.repeat(100_000))).toBe('INGEST_ERR_MALFORMED')
    })

    it('never repeats payload values in its messages', () => {
      const secret = 'AA:BB:CC:DD:EE:FF'
      for (const payload of [
        `[{"n":"pm25","vs":"${secret}","v":1}]`,
        `[{"n":"pm25","v":"${secret}"}]`,
        `[{"bn":"${secret}","n":"pm25","v":1,"v":2}]`,
        `[{"n":"pm25","vs":"${secret}"`,
        `[{"n":"pm25","vs":"${secret}","x":1e400}]`
      ]) {
        expect(errorOf(() => decode(payload)).message).not.toContain('CC:DD')
      }
    })

    it('cuts long field names in errors to 64 characters', () => {
      const long = 'p'.repeat(200)
      const err = errorOf(() => decode(`[{"n":"${long}","v":1},{"n":"${long}","v":2}]`))
      expect(err.field).toBe('p'.repeat(64))
      expect(err.message).not.toContain('p'.repeat(65))
    })
  })
})
