import { describe, expect, it } from 'vitest'
import { findIdentifier, IDENTIFIER_KINDS, IDENTIFIER_LABELS, scanPayload, type IdentifierKind } from '../../../ingest/privacy/identifiers.js'

const SENSOR = 'crowd-vredenburg-1'
const scan = (text: string, sensorId = SENSOR) => scanPayload(Buffer.from(text, 'utf8'), sensorId)

/** Strings ingest must refuse, each with the kind it must be reported as. */
const POSITIVES: ReadonlyArray<readonly [IdentifierKind, string]> = [
  // IEEE 802 EUI-48 and EUI-64, Bluetooth BD_ADDR, Cisco notation, RFC 9039 urn:dev:mac
  ['mac', 'a4:5e:60:d1:22:9b'],
  ['mac', 'A4-5E-60-D1-22-9B'],
  ['mac', 'a45e.60d1.229b'],
  ['mac', 'a45e60d1229b'],
  ['mac', '00:24:be:ff:fe:80:4f:f1'],
  ['mac', 'urn:dev:mac:0024befffe804ff1'],
  ['mac', 'urn:dev:mac:0024befffe804ff1:pm25'],
  ['mac', 'BLE beacon AC:23:3F:A1:B2:C3 seen at gate 2'],
  // 3GPP TS 23.003: IMEI with Luhn check digit, IMEISV, grouped as in GSMA TS.06 and RFC 7254
  ['imei', '352099001761481'],
  ['imei', '35-209900-176148-1'],
  ['imei', '35 209900 176148 1'],
  ['imei', '3520990017614823'],
  ['imei', '35-209900-176148-23'],
  ['imei', 'urn:imei:90420156-025763-0'],
  // IMSI: MCC 204 (NL), MNC, MSIN; 14 or 15 digits, no check digit
  ['imsi', '204080123456789'],
  ['imsi', '20408012345678'],
  ['imsi', 'imsi=204160123456789'],
  // dotted quads, with a port, in a sentence, in brackets
  ['ipv4', '192.168.1.10'],
  ['ipv4', '10.0.0.1:1883'],
  ['ipv4', 'gateway at 203.0.113.7.'],
  ['ipv4', '[198.51.100.23]'],
  // RFC 4291 / RFC 5952 forms, RFC 6874 zone, RFC 3986 brackets, SenML names (RFC 8428)
  ['ipv6', '2001:db8::1'],
  ['ipv6', '::1'],
  ['ipv6', 'fe80::1%eth0'],
  ['ipv6', '[2001:db8::2]:1883'],
  ['ipv6', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
  ['ipv6', '::ffff:192.0.2.128'],
  ['ipv6', '2001:db8::2/temperature'],
  ['ipv6', '2001:db8::2:temperature'],
  ['ipv6', 'addr:fe80::1'],
  // RFC 5322 addr-spec, alone and inside text
  ['email', 'jan.jansen@example.nl'],
  ['email', 'Contact: a.de-vries+sensor@gemeente.utrecht.nl please'],
  ['email', 'INFO@EXAMPLE.COM'],
  ['email', 'mailto:beheer@sensorstad.example'],
  // Dutch numbering plan, national and E.164
  ['phone', '06-12345678'],
  ['phone', '0612345678'],
  ['phone', '+31 6 12345678'],
  ['phone', '+31612345678'],
  ['phone', '0031 30 123 4567'],
  ['phone', '030-1234567'],
  ['phone', '(030) 123 45 67'],
  ['phone', '+31 (0)6 12345678'],
  // RDW sidecodes 1 to 14, then lower case, then undashed upper case, then in text
  ['plate', 'PB-12-34'],
  ['plate', '12-34-PB'],
  ['plate', '12-PB-34'],
  ['plate', 'PB-12-BT'],
  ['plate', 'PB-BT-12'],
  ['plate', '12-PB-BT'],
  ['plate', '12-BTP-3'],
  ['plate', '1-BTP-23'],
  ['plate', 'GB-123-X'],
  ['plate', 'G-123-BB'],
  ['plate', 'BTP-12-G'],
  ['plate', 'G-12-BTP'],
  ['plate', '1-BT-234'],
  ['plate', '123-BT-4'],
  ['plate', 'gb-123-x'],
  ['plate', 'PB12BT'],
  ['plate', 'G123BB'],
  ['plate', '12BTP3'],
  ['plate', 'kenteken 34-NZ-KL gezien'],
  // BSN passing the 11-proef: nine digits, eight with the leading zero dropped, in text
  ['bsn', '111222333'],
  ['bsn', '123456782'],
  ['bsn', '12345672'],
  ['bsn', 'BSN 123456782.'],
  // RFC 9562
  ['uuid', '550e8400-e29b-41d4-a716-446655440000'],
  ['uuid', 'urn:uuid:F47AC10B-58CC-4372-A567-0E02B2C3D479'],
  ['uuid', '{123e4567-e89b-12d3-a456-426614174000}'],
  // pseudonymous hex ids: 64-bit, RFC 8428's one-wire name, a SHA-256, upper case, prefixed
  ['hex', '0123456789abcdef'],
  ['hex', 'urn:dev:ow:10e2073a01080063'],
  ['hex', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['hex', 'DEADBEEFCAFEBABE'],
  ['hex', 'anon_9f86d081884c7d65'],
  // RFC 4648 base64 and base64url: padded, 128-bit, url-safe, digit-free mixed case
  ['base64', 'dGhpcyBpcyBhIHBzZXVkb255bQ=='],
  ['base64', '3Ya8dS9mQn6rN1KsT2pXwA'],
  ['base64', 'kQ7-x_9ZpL2mN4vB8cR1tA'],
  ['base64', 'AbCdEfGhIjKlMnOpQrStUv'],
  ['base64', 'u/Xk+Z1a9qLmN0pRtY3wVb8=']
]

/** Strings our three kinds send every day: field names, units, times, ids, numbers, words. */
const NEGATIVES: readonly string[] = [
  'pm1', 'pm25', 'pm10', 'temperature', 'relativeHumidity', 'lat', 'lon', 'trip',
  'peopleCount', 'fillingLevel', 'battery', 'time', 'bn', 'bt', 'bu', 'vs', 'bver',
  'ug/m3', '%RH', 'Cel', 'count', '%', '%EL', 'PM2.5', 'µg/m³',
  '2026-11-30T12:00:00.123Z', '2026-11-30T13:00:00+01:00', '2026-03-29T01:59:59.999999Z',
  '2026-11-30', '12:00:00', '+01:00',
  'crowd-vredenburg-1', 'sim-crowd-002560-001', 'bin-1', 'sim-bin-007', 'crowd-neude-1:',
  'bin-1:fillingLevel', 'sim-snuffelfiets-a1b2c3-001',
  'ff00', 'deadbeef', '0x1F', '1.2', '1.2.3', 'v2.0.1',
  '0', '100', '12.5', '-3.25', '52.0907374', '5.1214201',
  // coordinates as strings: fractions of 10, 12, 15 and 22 digits are not phones, MACs, IMEIs or base64
  '52.0612345678', '52.090737428374', '52.090737428374624', '52,0907374283746', '5.1214201000000000000000',
  '1764504000', '1764504000123', '1764504000.123',
  // eight and nine digits that fail the 11-proef: a count, a compact date, zeros
  '123456789', '20261130', '000000000',
  'online', 'offline', 'ok', 'Utrecht Centraal', 'Fill level 80% at 12:00',
  'relativeHumidityAverageOverWindow', 'peopleCountPerMinuteAverage', 'INGEST_ERR_UNDECLARED_FIELD',
  'urn:ngsi-ld:AirQualityObserved:Utrecht-Vredenburg',
  'https://smartdatamodels.org/dataModel.Environment/AirQualityObserved',
  'sensorstad/snuffelfiets/relativeHumidity',
  // a postcode has the undashed shape of sidecode 2; it names a street, not a person
  '3511AB'
]

describe('identifier corpus', () => {
  it('holds at least 30 positive and 30 negative samples', () => {
    expect(POSITIVES.length).toBeGreaterThanOrEqual(30)
    expect(NEGATIVES.length).toBeGreaterThanOrEqual(30)
  })

  it('holds at least two positive samples of every kind', () => {
    for (const kind of IDENTIFIER_KINDS) {
      expect(POSITIVES.filter(([k]) => k === kind).length, kind).toBeGreaterThanOrEqual(2)
    }
  })
})

describe('findIdentifier', () => {
  describe('finds each positive sample as its kind', () => {
    for (const [kind, sample] of POSITIVES) {
      it(`${kind}: ${JSON.stringify(sample)}`, () => {
        expect(findIdentifier(sample)).toBe(kind)
      })
    }
  })

  describe('passes each negative sample', () => {
    for (const sample of NEGATIVES) {
      it(JSON.stringify(sample), () => {
        expect(findIdentifier(sample)).toBeUndefined()
      })
    }
  })

  it('reports the leftmost identifier when a text holds two', () => {
    expect(findIdentifier('jan@example.nl from 192.168.1.10')).toBe('email')
    expect(findIdentifier('192.168.1.10 for jan@example.nl')).toBe('ipv4')
    expect(findIdentifier('3Ya8dS9mQn6rN1KsT2pXwA for jan@example.nl')).toBe('base64')
  })

  it('reports an identifier inside a base64-shaped token by its own kind', () => {
    expect(findIdentifier('bin-0123456789abcdef01')).toBe('hex')
    expect(findIdentifier('dev_550e8400-e29b-41d4-a716-446655440000')).toBe('uuid')
  })

  it('reads a dash-joined chain longer than a plate as an id, not a plate', () => {
    expect(findIdentifier('PB-12-BT')).toBe('plate')
    expect(findIdentifier('sim-PB-12-BT')).toBeUndefined()
    expect(findIdentifier('PB-12-BT-001')).toBeUndefined()
  })

  it('does not take "::" alone, the unspecified address, for an address', () => {
    expect(findIdentifier('crowd :: vredenburg')).toBeUndefined()
    expect(findIdentifier('crowd ::1 vredenburg')).toBe('ipv6')
  })

  it('does not read a long decimal fraction as a digit identifier', () => {
    expect(findIdentifier('0.123456782')).toBeUndefined()
    expect(findIdentifier('123456782')).toBe('bsn')
  })
})

describe('scanPayload', () => {
  describe('finds each positive sample as a JSON value and names its key', () => {
    for (const [kind, sample] of POSITIVES) {
      it(`${kind}: ${JSON.stringify(sample)}`, () => {
        const found = scan(JSON.stringify({ pm25: 12.5, note: sample }))
        expect(found).toEqual({ kind, field: 'note' })
        expect(JSON.stringify(found)).not.toContain(sample)
      })
    }
  })

  describe('finds each positive sample as a JSON key and reports "(key)"', () => {
    for (const [kind, sample] of POSITIVES) {
      it(`${kind}: ${JSON.stringify(sample)}`, () => {
        const found = scan(JSON.stringify({ [sample]: -67 }))
        expect(found).toEqual({ kind, field: '(key)' })
        expect(JSON.stringify(found)).not.toContain(sample)
      })
    }
  })

  describe('passes each negative sample as a JSON value and as a key', () => {
    for (const sample of NEGATIVES) {
      it(JSON.stringify(sample), () => {
        expect(scan(JSON.stringify({ note: sample }))).toBeUndefined()
        expect(scan(JSON.stringify({ [sample]: 1 }))).toBeUndefined()
      })
    }
  })

  describe('reads the raw bytes, not a parsed value', () => {
    const cases: ReadonlyArray<readonly [string, string, IdentifierKind, string | undefined]> = [
      ['a MAC written with \\u escapes', '{"mac":"\\u0061\\u0034:5e:60:d1:22:9b"}', 'mac', 'mac'],
      ['an e-mail address with an escaped @', '{"note":"jan\\u0040example.nl"}', 'email', 'note'],
      ['a BSN written wholly in \\u escapes', '{"note":"\\u0031\\u0032\\u0033\\u0034\\u0035\\u0036\\u0037\\u0038\\u0032"}', 'bsn', 'note'],
      ['an escaped identifier as a key', '{"\\u0061\\u0034:5e:60:d1:22:9b":-67}', 'mac', '(key)'],
      ['an identifier as the key of a nested object', '{"rssi":{"a4:5e:60:d1:22:9b":-67}}', 'mac', '(key)'],
      ['an identifier deep in arrays and objects', '{"a":[1,{"b":[[{"c":{"d":["ok","jan@example.nl"]}}]]}]}', 'email', 'd'],
      ['an identifier in nested arrays under a key', '{"tags":["x",["y","2001:db8::1"]]}', 'ipv6', 'tags'],
      ['the first of two duplicate keys', '{"note":"a4:5e:60:d1:22:9b","note":"ok"}', 'mac', 'note'],
      ['the second of two duplicate keys', '{"note":"ok","note":"+31612345678"}', 'phone', 'note'],
      ['a SenML base name with a MAC', '[{"bn":"urn:dev:mac:0024befffe804ff1:","bt":1764504000,"n":"pm25","u":"ug/m3","v":12}]', 'mac', 'bn'],
      ['a SenML string value', '[{"bn":"crowd-vredenburg-1:","n":"note","vs":"PB-12-34"}]', 'plate', 'vs'],
      ['the value of the right sibling', '{"ok":"fine","ip":"10.0.0.1"}', 'ipv4', 'ip'],
      ['a string after an escaped quote in a key', '{"a\\"b":"x","c":"jan@example.nl"}', 'email', 'c'],
      ['an identifier after escaped quotes in the same string', '{"note":"say \\"hi\\" to jan@example.nl"}', 'email', 'note'],
      ['a top-level string', '"jan@example.nl"', 'email', undefined],
      ['a string in a top-level array', '["x","352099001761481"]', 'imei', undefined],
      ['a payload cut off inside the string', '{"pm25":12.5,"mac":"a4:5e:60:d1:22:9b', 'mac', 'mac'],
      ['a payload after a byte order mark', '\ufeff{"note":"jan@example.nl"}', 'email', 'note'],
      ['text that is not JSON', 'mac=a4:5e:60:d1:22:9b', 'mac', undefined],
      ['text outside the literals of a JSON-like payload', 'ok "x" ip=192.168.1.10', 'ipv4', undefined]
    ]
    for (const [name, text, kind, field] of cases) {
      it(name, () => {
        expect(scan(text)).toEqual({ kind, field })
      })
    }

    it('catches what JSON.parse would drop from a duplicate key', () => {
      const text = '{"note":"a4:5e:60:d1:22:9b","note":"ok"}'
      expect(findIdentifier(JSON.stringify(JSON.parse(text)))).toBeUndefined()
      expect(scan(text)?.kind).toBe('mac')
    })

    it('decodes invalid UTF-8 with replacement characters and still scans', () => {
      const bad = Buffer.from([0xff, 0xc3, 0x28])
      const json = Buffer.concat([Buffer.from('{"note":"'), bad, Buffer.from(' jan@example.nl"}')])
      expect(scanPayload(json, SENSOR)).toEqual({ kind: 'email', field: 'note' })
      expect(scanPayload(Buffer.concat([bad, Buffer.from(' 192.168.1.10')]), SENSOR)).toEqual({ kind: 'ipv4', field: undefined })
    })

    it('cuts a long key to the 64 characters an error may repeat', () => {
      const key = 'k'.repeat(100)
      expect(scan(JSON.stringify({ [key]: 'jan@example.nl' }))).toEqual({ kind: 'email', field: 'k'.repeat(64) })
    })
  })

  describe('passes realistic payloads of our three kinds', () => {
    const payloads: ReadonlyArray<readonly [string, string, string]> = [
      ['crowd SenML', 'crowd-vredenburg-1', '[{"bn":"crowd-vredenburg-1:","bt":1764504000.123,"n":"peopleCount","u":"count","v":42}]'],
      ['simulated crowd SenML', 'sim-crowd-002560-001', '[{"bn":"sim-crowd-002560-001:","bt":1764504000,"n":"peopleCount","u":"count","v":7}]'],
      ['wastebin SenML', 'bin-1', '[{"bn":"bin-1:","bt":1764504000,"n":"fillingLevel","u":"%","v":80},{"n":"temperature","u":"Cel","v":8.5},{"n":"battery","u":"%EL","v":97}]'],
      ['wastebin json', 'bin-1', '{"time":"2026-11-30T12:00:00.123Z","fillingLevel":80,"temperature":8.5,"battery":97}'],
      ['snuffelfiets json', 'sim-snuffelfiets-a1b2c3-001', '{"time":"2026-11-30T13:00:00+01:00","pm1":3.1,"pm25":12.5,"pm10":20,"temperature":8.25,"relativeHumidity":81,"lat":52.0907374,"lon":5.1214201,"trip":3}'],
      ['snuffelfiets SenML with relative times', 'sim-snuffelfiets-a1b2c3-001', '[{"bn":"sim-snuffelfiets-a1b2c3-001:","bt":1764504000,"n":"pm25","u":"ug/m3","v":12.5},{"n":"relativeHumidity","u":"%RH","v":81,"t":-10},{"n":"lat","u":"lat","v":52.09},{"n":"lon","u":"lon","v":5.12}]'],
      ['SenML base name as a path', 'sim-snuffelfiets-a1b2c3-001', '[{"bn":"sensorstad/snuffelfiets/sim-snuffelfiets-a1b2c3-001/","n":"pm25","u":"ug/m3","v":12}]'],
      ['nested values the validator will refuse', 'bin-1', '{"fillingLevel":{"v":80,"u":"%"},"battery":[97,"97"],"ok":true,"x":null}'],
      ['status online', 'bin-1', 'online'],
      ['status offline', 'bin-1', 'offline']
    ]
    for (const [name, sensorId, text] of payloads) {
      it(name, () => {
        expect(scan(text, sensorId)).toBeUndefined()
      })
    }
  })

  describe('removes the sensor id first', () => {
    const hexId = 'bin-0123456789abcdef01'
    const pack = `[{"bn":"${hexId}:","bt":1764504000,"n":"fillingLevel","u":"%","v":40}]`

    it('passes a hex-looking id in its own base name', () => {
      expect(scan(pack, hexId)).toBeUndefined()
    })

    it('refuses the same base name from another sensor', () => {
      expect(scan(pack, 'bin-1')).toEqual({ kind: 'hex', field: 'bn' })
    })

    it('removes every occurrence, also in escaped form and outside JSON', () => {
      expect(scan(`{"id":"${hexId}","bn":"${hexId}:","note":"\\u0062in-0123456789abcdef01/pm25"}`, hexId)).toBeUndefined()
      expect(scan(`${hexId} online`, hexId)).toBeUndefined()
      expect(scan(`${hexId} online`, 'bin-1')).toEqual({ kind: 'hex', field: undefined })
    })

    it('still finds an identifier next to the id', () => {
      expect(scan(`[{"bn":"${hexId}:","n":"note","vs":"${hexId} jan@example.nl"}]`, hexId)).toEqual({ kind: 'email', field: 'vs' })
    })

    it('does not cut a short id out of a longer identifier', () => {
      expect(scan('{"note":"111222333"}', '1')).toEqual({ kind: 'bsn', field: 'note' })
      expect(scan('{"note":"kQ7-x_9ZpL2mN4vB8cR1tA"}', 'x')).toEqual({ kind: 'base64', field: 'note' })
      expect(scan('{"note":"06-12345678"}', '06')).toEqual({ kind: 'phone', field: 'note' })
    })
  })

  it('returns only the kind and the field, never the value', () => {
    const found = scan('{"mac":"a4:5e:60:d1:22:9b"}')
    expect(Object.keys(found ?? {}).sort()).toEqual(['field', 'kind'])
    expect(JSON.stringify(found)).not.toMatch(/a4|5e|9b/)
  })
})

describe('IDENTIFIER_LABELS', () => {
  it('gives every kind its own label', () => {
    const labels = IDENTIFIER_KINDS.map((kind) => IDENTIFIER_LABELS[kind])
    expect(Object.keys(IDENTIFIER_LABELS).sort()).toEqual([...IDENTIFIER_KINDS].sort())
    expect(new Set(labels).size).toBe(IDENTIFIER_KINDS.length)
    for (const label of labels) expect(label).toMatch(/^an? \S/)
  })
})

describe('time on adversarial input (64 KiB each, linear patterns)', () => {
  const SIZE = 64 * 1024
  const LIMIT_MS = 50
  const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE)
  // Best of three runs: a catastrophic pattern is slow every time, a busy machine only once.
  const fastest = (run: () => unknown): number => {
    let best = Infinity
    for (let i = 0; i < 3; i++) {
      const start = performance.now()
      run()
      best = Math.min(best, performance.now() - start)
    }
    return best
  }
  // Near misses of each pattern, repeated: runs that almost match at every position.
  const inputs: Record<string, string> = {
    'hex pairs and colons': fill('a:'),
    'hex octets and colons': fill('aa:'),
    'hex octets and dashes': fill('aa-'),
    'MAC missing its last octet': fill('a4:5e:60:d1:22: '),
    'digits and spaces': fill('1 '),
    'digits and dashes': fill('1-'),
    'digits and dots': fill('1.'),
    'dotted quads with a fifth part': fill('255.255.255.'),
    'at signs': fill('a@'),
    'local parts without a domain': fill('a.') + '@',
    'e-mail addresses without a top-level domain': fill('a@a.'),
    'a long local part and many labels': 'a'.repeat(SIZE / 2) + '@' + 'b.'.repeat(SIZE / 4 - 1),
    'a domain of dashes': 'a@' + '-'.repeat(SIZE - 3) + 'x',
    'a domain of dots': 'a@b' + '.'.repeat(SIZE - 4) + 'x',
    'trunk prefixes': fill('(0'),
    'country codes': fill('+31 '),
    'phone numbers one digit short': fill('061234567 '),
    'plates without end': fill('PB-12-'),
    'hex one short of 16': fill('fffffffffffffffg'),
    'hex that runs into a letter': '0'.repeat(SIZE - 1) + 'x',
    'IPv6 groups without end': fill('ffff:'),
    'short colon runs': fill('f:f:f g '),
    'double colons': fill('::'),
    'an IPv6 run ending in dots': '::' + '.'.repeat(SIZE - 2),
    'UUIDs one digit off': fill('550e8400-e29b-41d4-a716-44665544000g '),
    'base64 broken by padding': fill('Aa1='),
    'base64 with too much padding': fill('AAAAAAAAAAAAAAAAAAAAA1==='),
    'kebab-case parts': fill('a-'),
    'snake-case capitals': fill('aaaaA_'),
    'one letter': fill('x'),
    'spaces before a stray letter': ' '.repeat(SIZE - 1) + 'x'
  }
  for (const [name, text] of Object.entries(inputs)) {
    it(name, () => {
      expect(fastest(() => findIdentifier(text))).toBeLessThan(LIMIT_MS)
      expect(fastest(() => scanPayload(Buffer.from(text), SENSOR))).toBeLessThan(LIMIT_MS)
      expect(fastest(() => scanPayload(Buffer.from(JSON.stringify([text])), SENSOR))).toBeLessThan(LIMIT_MS)
    })
  }

  const payloads: Record<string, string> = {
    'many short strings': '[' + fill('"a",').slice(0, SIZE - 5) + '"a"]',
    'deep nesting': '['.repeat(SIZE / 2) + '"a"',
    'nested objects': fill('{"a":').slice(0, SIZE - 3) + '"a"',
    'escaped letters': '"' + fill('\\u0061') + '"',
    'backslashes before quotes': fill('"\\\\\\"'),
    'sensor ids': '"' + fill(`${SENSOR} `) + '"'
  }
  for (const [name, text] of Object.entries(payloads)) {
    it(`payload: ${name}`, () => {
      expect(fastest(() => scanPayload(Buffer.from(text), SENSOR))).toBeLessThan(LIMIT_MS)
    })
  }
})
