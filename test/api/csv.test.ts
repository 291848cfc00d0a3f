import { describe, expect, it } from 'vitest'
import { neutralise, toCsv } from '../../api/csv.js'

describe('toCsv', () => {
  it('writes RFC 4180: header, CRLF, quotes only where needed', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x,y', b: 'say "hi"' }, { a: 1 }])).toBe('a,b\r\n"x,y","say ""hi"""\r\n1,\r\n')
  })

  it('neutralises text a spreadsheet would run as a formula', () => {
    const csv = toCsv(['name'], [
      { name: '=HYPERLINK("http://evil.example","click")' },
      { name: '+SUM(A1:A2)' },
      { name: '-2+3' },
      { name: '@cmd' },
      { name: '\tindent' },
      { name: '\rcr' }
    ])
    expect(csv.split('\r\n').slice(1, 5)).toEqual([
      '"\'=HYPERLINK(""http://evil.example"",""click"")"',
      "'+SUM(A1:A2)",
      "'-2+3",
      "'@cmd"
    ])
    expect(csv).toContain("'\tindent")
    expect(csv).toContain('"\'\rcr"')
  })

  it('leaves numbers alone, as numbers or as numeric text', () => {
    expect(toCsv(['v', 'w', 'x', 'y'], [{ v: -3.5, w: '-3.5', x: '+1e3', y: 0 }])).toBe('v,w,x,y\r\n-3.5,-3.5,+1e3,0\r\n')
  })

  it('leaves ordinary text alone', () => {
    for (const text of ['Vredenburg', 'bin-12', 'a=b', '2026-11-30T04:00:00Z', '']) expect(neutralise(text)).toBe(text)
  })
})
