import { describe, expect, it } from 'vitest'
import { betweenEnd, isJsonAtom } from '../../../ingest/privacy/json-literals.js'

/**
 * The literal reader's scan of the text between literals, by hand, against the regular
 * expressions it replaced: the text up to the next structural character, and whether that
 * text, trimmed, is a JSON value (else the whole payload is scanned for identifiers).
 */
const BETWEEN = /[^"{}[\],:]+/y
const JSON_ATOM = /^(?:-?[0-9][0-9eE+.-]*|true|false|null)?$/

describe('the scan between literals', () => {
  it('agrees with the regular expressions on 30,000 random texts', () => {
    const alphabet = ['0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'r', 'u', 'f', 'a', 'l', 's', 'n', 'x', ' ', '\t', '\n', '\ufeff', '\u00a0', '\u2028', 'é', ',', ':', '}', ']', '"']
    let seed = 7
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
    const words = ['true', 'false', 'null', '-12.5e3', ' 0 ']
    for (let k = 0; k < 30_000; k++) {
      const parts = Array.from({ length: 1 + random(8) }, () => random(4) === 0 ? words[random(words.length)]! : alphabet[random(alphabet.length)]!)
      const text = parts.join('')
      BETWEEN.lastIndex = 0
      const end = BETWEEN.exec(text) === null ? 0 : BETWEEN.lastIndex
      expect(betweenEnd(text, 0)).toBe(end)
      expect([text, isJsonAtom(text, 0, end)]).toEqual([text, JSON_ATOM.test(text.slice(0, end).trim())])
    }
  })
})
