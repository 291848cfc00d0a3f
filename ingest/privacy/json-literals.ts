import { fieldLabel } from '../field-label.js'

/**
 * A lenient reader of the string literals in a payload, for the identifier scan (privacy
 * rule 3): it reads every key and string value in one pass, whatever a strict parser would
 * make of the bytes, so a duplicate key or a syntax error cannot hide a literal.
 */
/** One string literal of a payload: its unescaped text and what it is to the object around it. */
export interface Literal {
  text: string
  /** `(key)` for a member name, else the member name the value belongs to, if any. */
  field: string | undefined
}

interface Frame {
  object: boolean
  /** The member name last read in an object. */
  key: string | undefined
  expectKey: boolean
  /** For an array, the member name the array is the value of. */
  inherited: string | undefined
}

// Text between structural characters and strings may hold a JSON value there (RFC 8259
// sections 3 and 6) and white space; anything else is not JSON and could hide an identifier.
// Scanned by hand: this runs for every number of every payload, and a regular expression
// match, a slice and a trim each allocate.

/** The index of the next quote or structural character at or after `i`, or the end. */
export function betweenEnd (text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22 || c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x2c || c === 0x3a) return i
  }
  return i
}

/** What String.prototype.trim drops, a byte order mark among it (RFC 8259 section 8.1 lets a parser ignore one). */
const TRIMMED = /^\s$/
const isTrimmed = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || (c > 0x7f && TRIMMED.test(String.fromCharCode(c)))
const isNumberChar = (c: number): boolean => (c >= 0x30 && c <= 0x39) || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2e || c === 0x2d

/**
 * Whether text[from, to) is, trimmed, nothing, true, false, null or a number loosely read
 * (`-?[0-9][0-9eE+.-]*`: what a strict parser refuses of it is refused there, not hidden).
 */
export function isJsonAtom (text: string, from: number, to: number): boolean {
  while (from < to && isTrimmed(text.charCodeAt(from))) from++
  while (to > from && isTrimmed(text.charCodeAt(to - 1))) to--
  if (from === to) return true
  const word = to - from
  if ((word === 4 && (text.startsWith('true', from) || text.startsWith('null', from))) || (word === 5 && text.startsWith('false', from))) return true
  let i = text.charCodeAt(from) === 0x2d ? from + 1 : from
  const first = text.charCodeAt(i)
  if (!(first >= 0x30 && first <= 0x39)) return false
  for (i++; i < to; i++) if (!isNumberChar(text.charCodeAt(i))) return false
  return true
}

/**
 * Every string literal of `text`, read leniently in one pass: a payload is scanned whatever
 * its decoder makes of it, so a duplicate key, a cut-off string or a syntax error does not
 * hide a literal. `outside` is true when text between the literals is not JSON.
 */
export function readLiterals (text: string): { literals: Literal[], outside: boolean } {
  const literals: Literal[] = []
  const frames: Frame[] = []
  let outside = false
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    const top = frames[frames.length - 1]
    if (c === 0x22) {
      const end = closingQuote(text, i + 1)
      const raw = text.slice(i + 1, end)
      const value = raw.includes('\\') ? unescape(raw) : raw
      if (top?.object === true && top.expectKey) {
        top.key = value
        top.expectKey = false
        literals.push({ text: value, field: '(key)' })
      } else {
        const field = top === undefined ? undefined : top.object ? top.key : top.inherited
        literals.push({ text: value, field: field === undefined ? undefined : fieldLabel(field) })
      }
      i = end + 1
    } else if (c === 0x7b || c === 0x5b) {
      const inherited = top === undefined ? undefined : top.object ? top.key : top.inherited
      frames.push({ object: c === 0x7b, key: undefined, expectKey: c === 0x7b, inherited })
      i++
    } else if (c === 0x7d || c === 0x5d) {
      frames.pop()
      i++
    } else if (c === 0x2c || c === 0x3a) {
      if (top?.object === true) top.expectKey = c === 0x2c
      i++
    } else {
      const end = betweenEnd(text, i)
      if (!isJsonAtom(text, i, end)) outside = true
      i = end
    }
  }
  return { literals, outside }
}

/** Index of the quote that closes a string opened before `from`, or the end of the text. */
function closingQuote (text: string, from: number): number {
  for (let at = text.indexOf('"', from); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++
    if (backslashes % 2 === 0) return at
  }
  return text.length
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
const ESCAPE = /\\(u[0-9A-Fa-f]{4}|[^])?/g

/** RFC 8259 section 7 escapes; an invalid one stands for its character, as a lenient reader would. */
function unescape (raw: string): string {
  return raw.replace(ESCAPE, (_, e: string | undefined) => {
    if (e === undefined) return ''
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16))
    return ESCAPES[e] ?? e
  })
}
