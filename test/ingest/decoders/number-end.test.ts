import { describe, expect, it } from 'vitest'
import { numberEnd } from '../../../ingest/decoders/safe-json.js'

/** RFC 8259 section 6 as a sticky regular expression: the oracle the hand-written scanner must agree with. */
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y

function oracle (text: string, start: number): number {
  NUMBER.lastIndex = start
  return NUMBER.exec(text) === null ? start : NUMBER.lastIndex
}

describe('numberEnd', () => {
  it('ends where the RFC 8259 grammar ends, on hand-picked edges', () => {
    for (const text of ['0', '-0', '12', '-', '-a', '01', '1.', '1.5', '.5', '1e', '1e+', '1E-7', '1.5e3x', '-12.25E+10,', '1ee2', '0.0.1', '9'.repeat(400), ' 1', 'x']) {
      expect([text, numberEnd(text, 0)]).toEqual([text, oracle(text, 0)])
    }
  })

  it('agrees with the grammar on 20,000 random strings of number characters, from any start', () => {
    const alphabet = '0123456789-+.eE,x '
    let seed = 42
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
    for (let k = 0; k < 20_000; k++) {
      const text = Array.from({ length: 1 + random(12) }, () => alphabet[random(alphabet.length)]).join('')
      const start = random(text.length)
      expect(numberEnd(text, start)).toBe(oracle(text, start))
    }
  })
})
