import { isIPv6 } from 'node:net'
import { readLiterals } from './json-literals.js'

/**
 * Privacy rule 3, "identifiers refused anywhere" (DESIGN.md section 5): a string that looks
 * like an address, a device or subscriber number, a personal number or a pseudonymous id
 * links a reading to a person or a device, so the message is refused wherever the string
 * sits. Pure and synchronous; the caller turns a hit into an error.
 *
 * Every pattern is compiled once and anchored to token boundaries by lookarounds on its own
 * character class, so a match is tried only where a token starts; every repetition is either
 * bounded or over one character class, so each token is read a bounded number of times and
 * the time stays linear in the text (V8 regular expressions backtrack). Nothing returned here
 * holds the matched text: the match is the personal data we refuse.
 */

export const IDENTIFIER_KINDS = ['mac', 'imei', 'imsi', 'ipv4', 'ipv6', 'email', 'phone', 'plate', 'bsn', 'uuid', 'hex', 'base64'] as const
export type IdentifierKind = typeof IDENTIFIER_KINDS[number]

/** Human label per kind for error messages, e.g. 'a MAC or Bluetooth address'. */
export const IDENTIFIER_LABELS: Record<IdentifierKind, string> = {
  mac: 'a MAC or Bluetooth address',
  imei: 'a device identity (IMEI)',
  imsi: 'a subscriber identity (IMSI)',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  email: 'an e-mail address',
  phone: 'a phone number',
  plate: 'a licence plate',
  bsn: 'a citizen service number (BSN)',
  uuid: 'a UUID',
  hex: 'a long hexadecimal identifier',
  base64: 'a long base64 identifier'
}

/** Where an identifier was found: UTF-16 offsets into the scanned text, never the text. */
interface Hit {
  kind: IdentifierKind
  index: number
  end: number
}

type Classify = (match: RegExpExecArray, text: string) => IdentifierKind | undefined

// IEEE 802-2014 section 8.1 and the IEEE RA "Guidelines for use of EUI": six (EUI-48) or eight
// (EUI-64) octets as hex pairs joined by hyphens or colons, one separator throughout; a
// Bluetooth BD_ADDR is an EUI-48 (Core Specification 5.4, Vol 6, Part B, section 1.3).
const MAC_OCTETS = /(?<![0-9A-Za-z])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?:\1[0-9A-Fa-f]{2}\1[0-9A-Fa-f]{2})?(?![0-9A-Za-z])/g
// Cisco IOS writes a MAC as three dot-separated groups of four hex digits.
const MAC_DOTTED = /(?<![0-9A-Za-z.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Za-z]|\.[0-9A-Za-z])/g
// A bare EUI-48, and RFC 9039 section 4.1: `urn:dev:mac:` with 12 or 16 hex digits (EUI-64).
const MAC_BARE = /(?<![0-9A-Za-z])(?:urn:dev:mac:[0-9A-Fa-f]{12}(?:[0-9A-Fa-f]{4})?|[0-9A-Fa-f]{12})(?![0-9A-Za-z])/gi

// 3GPP TS 23.003 section 6.2: an IMEI is 14 digits plus a check digit, an IMEISV 16 digits;
// GSMA TS.06 and RFC 7254 write them grouped as TAC (2+6) - serial (6) - check or SVN.
const IMEI_GROUPED = /(?<![0-9A-Za-z+])\d{2}[ -]?\d{6}([ -])\d{6}\1\d{1,2}(?![0-9A-Za-z]|[ -]\d)/g
// A run of 14 to 17 digits: an IMEI (with or without check digit, section 6.2.1), an
// IMEISV, or an IMSI (at most 15 digits, section 2.2).
const DIGITS_14_17 = /(?<!\d)\d{14,17}(?!\d)/g

// RFC 3986 section 3.2.2 dec-octet, leading zeros allowed; a fifth part makes it a version.
const IPV4 = /(?<![0-9A-Za-z.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|0?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|0?\d?\d)(?![0-9A-Za-z]|\.\d)/g
// Candidate IPv6 runs of hex digits, dots and two colons or more; `isIPv6` judges them (RFC
// 4291 section 2.2, RFC 5952). Brackets (RFC 3986 section 3.2.2), a zone (RFC 6874) or a
// port end the run and are left out.
const IPV6_RUN = /(?<![0-9A-Fa-f:.])[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*/g
/** Longest IPv6 text: eight groups with an embedded IPv4, RFC 4291 section 2.2 form 3. */
const IPV6_MAX = 45

// RFC 5322 section 3.4.1 addr-spec, dot-atom only; the domain is checked in code (RFC 1035
// section 2.3.1), since a regular expression for dotted labels backtracks.
const EMAIL = /(?<![0-9A-Za-z._%+-])[0-9A-Za-z._%+-]+@[0-9A-Za-z.-]+/g

// Nummerplan (Telecommunicatiewet art. 4.1): a national number is 10 digits with the trunk
// prefix 0; ITU-T E.164 writes it +31 or 0031 and 9 digits, sometimes with "(0)".
const SEP = '[ ()-]{0,3}'
const PHONE_NATIONAL = new RegExp(`(?<![0-9A-Za-z+]|\\d[.,])\\(?0[1-9](?:${SEP}\\d){8}(?!\\d)`, 'g')
const PHONE_INTERNATIONAL = new RegExp(`(?<![0-9A-Za-z+])(?:\\+|00)31[ -]{0,3}(?:\\(0\\)[ -]{0,3})?[1-9](?:${SEP}\\d){8}(?!\\d)`, 'g')

// RDW, "Uitleg over de cijfers en letters op de kentekenplaat": sidecodes 1 to 14, L a
// letter and D a digit. A longer dash-joined chain is an id such as `sim-bin-007`, not a plate.
const SIDECODES = ['LL-DD-DD', 'DD-DD-LL', 'DD-LL-DD', 'LL-DD-LL', 'LL-LL-DD', 'DD-LL-LL', 'DD-LLL-D',
  'D-LLL-DD', 'LL-DDD-L', 'L-DDD-LL', 'LLL-DD-L', 'L-DD-LLL', 'D-LL-DDD', 'DDD-LL-D']
const shape = (code: string, letter: string): string => code.replace(/L+|D+/g, (g) => `${g[0] === 'L' ? letter : '\\d'}{${g.length}}`)
const PLATE_DASHED = new RegExp(`(?<![0-9A-Za-z-])(?:${SIDECODES.map((c) => shape(c, '[A-Za-z]')).join('|')})(?![0-9A-Za-z-])`, 'g')
// Undashed, as the RDW open data writes plates: upper case only, and without sidecode 2
// (DDDDLL), which is the shape of a Dutch postcode (3511AB), a place rather than a person.
const PLATE_BARE = new RegExp(`(?<![0-9A-Za-z])(?:${SIDECODES.filter((c) => c !== 'DD-DD-LL').map((c) => shape(c.replaceAll('-', ''), '[A-Z]')).join('|')})(?![0-9A-Za-z])`, 'g')

// Wet algemene bepalingen burgerservicenummer: nine digits passing the 11-proef; with its
// leading zero dropped, eight.
const DIGITS_8_9 = /(?<!\d)\d{8,9}(?!\d)/g

// RFC 9562 section 4: 8-4-4-4-12 hex digits, any version and variant.
const UUID = /(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])/g

// Hashes and random ids: 16 hex digits is 64 bits, enough to single out a device for life.
const HEX = /(?<![0-9A-Za-z])[0-9A-Fa-f]{16,}(?![0-9A-Za-z])/g
// RFC 4648 sections 4 and 5 (base64 and base64url); 22 characters hold 128 bits.
const BASE64 = /(?<![0-9A-Za-z+/_-])[0-9A-Za-z+/_-]{22,}={0,2}(?![0-9A-Za-z+/=_-])/g
// A part of a kebab-case, snake_case or path name: a camelCase word, a capital word, a
// number, or a short lower-case hex tag (the simulator's `sim-bin-0f3a2c-001`). A random
// base64url part has this shape with negligible probability.
const NAME_PART = /^(?:[a-z]+|[A-Z][a-z]+|[A-Z]+)(?:[A-Z][a-z]+)*[0-9]*$|^[0-9]+$|^[0-9a-f]{1,8}$/

const ALL_DIGITS = /^[0-9]+$/

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isDecimalMark = (c: number): boolean => c === 0x2e || c === 0x2c

/**
 * Whether the digit run at [start, end) is part of a decimal number such as "52.090737428374624":
 * the fraction of a coordinate is not an IMEI, and RFC 3339 fractions are digits after a dot.
 */
function inDecimal (text: string, start: number, end: number): boolean {
  return (isDecimalMark(text.charCodeAt(start - 1)) && isDigit(text.charCodeAt(start - 2))) ||
    (isDecimalMark(text.charCodeAt(end)) && isDigit(text.charCodeAt(end + 1)))
}

/** A digit-only match inside a decimal number is a number, whatever else it looks like. */
function decimalNumber (match: RegExpExecArray, text: string): boolean {
  return ALL_DIGITS.test(match[0]) && inDecimal(text, match.index, match.index + match[0].length)
}

/** 3GPP TS 23.003 Annex B: the IMEI check digit is the Luhn (ISO/IEC 7812-1 Annex B) digit. */
function luhn (digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 0x30
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  return sum % 10 === 0
}

/** The BSN 11-proef: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11, and not all zeros. */
function elfproef (digits: string): boolean {
  const d = digits.padStart(9, '0')
  let sum = -(d.charCodeAt(8) - 0x30)
  for (let i = 0; i < 8; i++) sum += (9 - i) * (d.charCodeAt(i) - 0x30)
  return sum % 11 === 0 && d !== '000000000'
}

/**
 * An IMEI and an IMSI cannot be told apart by their digits alone. 16 or 17 digits is an
 * IMEISV; 15 digits with a valid Luhn check digit an IMEI; the rest of 14 or 15 an IMSI.
 */
function imeiOrImsi (digits: string): IdentifierKind {
  if (digits.length >= 16) return 'imei'
  return digits.length === 15 && luhn(digits) ? 'imei' : 'imsi'
}

/** RFC 1035 section 2.3.1 labels, a letters-only top-level label (RFC 3696 section 2). */
function mailDomain (domain: string): boolean {
  // A sentence may end right after the address. Trimmed by hand: /[.-]+$/ is tried at every
  // dot or dash of the run and so takes quadratic time on a long one.
  let end = domain.length
  while (end > 0 && (domain.charCodeAt(end - 1) === 0x2e || domain.charCodeAt(end - 1) === 0x2d)) end--
  const labels = domain.slice(0, end).split('.')
  if (labels.length < 2) return false
  const top = labels[labels.length - 1]!
  if (!/^[A-Za-z]{2,63}$/.test(top)) return false
  return labels.every((label) => label.length > 0 && label.length <= 63 && !label.startsWith('-') && !label.endsWith('-'))
}

function base64Id (match: RegExpExecArray, text: string): boolean {
  const body = match[0].replace(/=+$/, '')
  if (decimalNumber(match, text)) return false
  if (/[-_/]/.test(body) && !body.includes('+') && body.split(/[-_/]+/).every((part) => part === '' || NAME_PART.test(part))) return false
  if (/[0-9+/]/.test(body)) return true
  // Long camelCase words (relativeHumidityAverageOverWindow) have few capitals; random
  // base64 letters are half upper case.
  const letters = body.replace(/[^A-Za-z]/g, '').length
  const upper = body.replace(/[^A-Z]/g, '').length
  return letters > 0 && upper * 4 >= letters
}

const always = (kind: IdentifierKind): Classify => () => kind
const unlessDecimal = (kind: IdentifierKind): Classify => (m, text) => decimalNumber(m, text) ? undefined : kind

type Detector = (text: string) => Hit | undefined

/** The first match of `re` in `text` that `classify` accepts. */
function pattern (re: RegExp, classify: Classify): Detector {
  return (text) => {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const kind = classify(m, text)
      if (kind !== undefined) return { kind, index: m.index, end: m.index + m[0].length }
    }
    return undefined
  }
}

/**
 * An IPv6 address in a run of hex digits, colons and dots. A run that starts inside a word
 * (`addr:fe80::1`) is tried from after its first colon, and one that runs into a SenML name
 * (`2001:db8::2:temperature`) up to its last colon.
 */
function firstIpv6 (text: string): Hit | undefined {
  IPV6_RUN.lastIndex = 0
  for (let m = IPV6_RUN.exec(text); m !== null; m = IPV6_RUN.exec(text)) {
    let length = m[0].length
    while (m[0].charCodeAt(length - 1) === 0x2e) length--
    const run = m[0].slice(0, length)
    const first = run.indexOf(':')
    const last = run.lastIndexOf(':')
    const starts = isAlnum(text.charCodeAt(m.index - 1)) ? [first + 1] : [0, first + 1]
    for (const start of starts) {
      for (const end of [run.length, last + 1, last]) {
        if (end - start > IPV6_MAX || !ipv6(run.slice(start, end))) continue
        return { kind: 'ipv6', index: m.index + start, end: m.index + end }
      }
    }
  }
  return undefined
}

/**
 * `isIPv6`, after cheap tests that turn away most runs: eight groups need seven colons, or
 * six and an IPv4 part, unless "::" stands for some; and "::" alone is the unspecified
 * address, in text more often C++ than an address.
 */
function ipv6 (candidate: string): boolean {
  if (!candidate.includes('::')) {
    let colons = 0
    for (let i = candidate.indexOf(':'); i !== -1; i = candidate.indexOf(':', i + 1)) colons++
    if (colons < 6) return false
  }
  return /[0-9A-Fa-f]/.test(candidate) && isIPv6(candidate)
}

/** Detectors in the order of IDENTIFIER_KINDS, which breaks ties (an EUI-64 is a MAC first). */
const DETECTORS: readonly Detector[] = [
  pattern(MAC_OCTETS, always('mac')),
  pattern(MAC_DOTTED, always('mac')),
  pattern(MAC_BARE, unlessDecimal('mac')),
  pattern(IMEI_GROUPED, always('imei')),
  pattern(DIGITS_14_17, (m, text) => decimalNumber(m, text) ? undefined : imeiOrImsi(m[0])),
  pattern(IPV4, always('ipv4')),
  firstIpv6,
  pattern(EMAIL, (m) => mailDomain(m[0].slice(m[0].indexOf('@') + 1)) ? 'email' : undefined),
  pattern(PHONE_NATIONAL, always('phone')),
  pattern(PHONE_INTERNATIONAL, always('phone')),
  pattern(PLATE_DASHED, always('plate')),
  pattern(PLATE_BARE, always('plate')),
  pattern(DIGITS_8_9, (m, text) => !decimalNumber(m, text) && elfproef(m[0]) ? 'bsn' : undefined),
  pattern(UUID, always('uuid')),
  pattern(HEX, unlessDecimal('hex'))
]
const detectBase64 = pattern(BASE64, (m, text) => base64Id(m, text) ? 'base64' : undefined)

/**
 * The leftmost identifier in `text`; the longer match, then the earlier kind, wins a tie.
 * Base64 is the catch-all: a token such as `bin-0123456789abcdef01` is reported by the more
 * telling kind inside it (hex), so base64 wins only where it ends before any other hit.
 */
function firstHit (text: string): Hit | undefined {
  let best: Hit | undefined
  for (const detect of DETECTORS) {
    const hit = detect(text)
    if (hit !== undefined && (best === undefined || hit.index < best.index || (hit.index === best.index && hit.end > best.end))) best = hit
  }
  const base64 = detectBase64(text)
  return base64 !== undefined && (best === undefined || base64.end <= best.index) ? base64 : best
}

/** The first kind of identifier found in `text`, or undefined. */
export function findIdentifier (text: string): IdentifierKind | undefined {
  return firstHit(text)?.kind
}

/** A character a sensor id may hold (core/topics.ts ID_PATTERN). */
const isIdChar = (c: number): boolean => isAlnum(c) || c === 0x2e || c === 0x5f || c === 0x2d

/**
 * `text` without the sensor's own id, which is public in the register and may itself look
 * like an identifier (`bin-0123456789abcdef01`). Only whole ids are removed, where no id
 * character touches either end: a short id such as `1` or `x` must not cut pieces out of a
 * phone number or a base64url string and so hide it.
 */
function withoutSensorId (text: string, sensorId: string): string {
  if (sensorId === '') return text
  let out = ''
  let from = 0
  let at = text.indexOf(sensorId)
  while (at !== -1) {
    const end = at + sensorId.length
    if (!isIdChar(text.charCodeAt(at - 1)) && !isIdChar(text.charCodeAt(end))) {
      out += text.slice(from, at)
      from = end
      at = text.indexOf(sensorId, end)
    } else {
      at = text.indexOf(sensorId, at + 1)
    }
  }
  return out + text.slice(from)
}

/**
 * Literal texts (sensor id removed) known to hold no identifier. Sensors send the same keys,
 * names and units in every message, so a scan mostly meets texts it has cleared before; the
 * patterns are pure, so a text once clean is always clean. Bounded in entries and length, and
 * emptied when full: a flood of distinct texts costs what scanning without it costs.
 */
const clean = new Set<string>()
const CLEAN_MAX_ENTRIES = 10_000
const CLEAN_MAX_LENGTH = 64

/**
 * Scans a raw MQTT payload: every JSON string literal (keys and values, unescaped) in the raw
 * bytes, at any depth, with every occurrence of `sensorId` removed first (a SenML base name
 * like "<sensorId>:" is fine). `field` is the key the offending value belongs to, or the
 * string '(key)' when a key itself is an identifier; never the value. If the payload is not
 * JSON-like (no string literals parse), scan the whole text decoded as UTF-8 (replacement
 * chars) instead; so too when text between the literals is not JSON, where it could hide one.
 */
export function scanPayload (payload: Buffer, sensorId: string): { kind: IdentifierKind, field: string | undefined } | undefined {
  const text = payload.toString('utf8')
  const { literals, outside } = readLiterals(text)
  if (literals.length > 0) {
    // One pass over the literals not cleared before, joined by a line feed, which no pattern
    // reads as part of a token (so each literal is judged alone, as if scanned by itself);
    // thousands of short literals cost one scan, not thousands.
    const starts: number[] = []
    const parts: string[] = []
    const which: number[] = []
    let offset = 0
    for (let i = 0; i < literals.length; i++) {
      const part = withoutSensorId(literals[i]!.text, sensorId)
      if (clean.has(part)) continue
      starts.push(offset)
      parts.push(part)
      which.push(i)
      offset += part.length + 1
    }
    if (parts.length > 0) {
      const hit = firstHit(parts.join('\n'))
      if (hit !== undefined) return { kind: hit.kind, field: literals[which[literalAt(starts, hit.index)]!]!.field }
      for (const part of parts) {
        if (part.length > CLEAN_MAX_LENGTH) continue
        if (clean.size >= CLEAN_MAX_ENTRIES) clean.clear()
        clean.add(part)
      }
    }
    if (!outside) return undefined
  }
  const kind = findIdentifier(withoutSensorId(text, sensorId))
  return kind === undefined ? undefined : { kind, field: undefined }
}

/** Index of the last start at or before `offset` (binary search; `starts` ascends from 0). */
function literalAt (starts: readonly number[], offset: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return lo
}
