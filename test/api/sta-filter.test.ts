import { describe, expect, it } from 'vitest'
import { matchesFilter, timeBounds } from '../../api/sta/filter-eval.js'
import { parseFilter } from '../../api/sta/filter-parser.js'
import { parseQueryOptions } from '../../api/sta/query-options.js'
import { errorOf } from '../helpers/error-of.js'

/**
 * The SensorThings $filter subset: parsed by recursive descent, evaluated per entity, and
 * refused with API_ERR_VALIDATION (and a list of what is supported) for anything outside it.
 */
const thing = {
  id: 'wastebin:bin-1',
  name: 'Bin at Vredenburg',
  properties: { codegemeente: '344', project: 'wastebin', retentionDays: 90 }
}
const window = { id: 'o1', phenomenonTime: '2026-11-30T12:00:00.000Z/2026-11-30T12:15:00.000Z', resultTime: '2026-11-30T12:15:00.000Z', result: 40 }
const reading = { id: 'o2', phenomenonTime: '2026-11-30T12:05:00.000Z', resultTime: '2026-11-30T12:05:00.000Z', result: 12.5 }

function matches (filter: string, entity: Record<string, unknown>): boolean {
  return matchesFilter(parseFilter(filter), (path) => {
    let value: unknown = entity
    for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key === '@iot.id' ? 'id' : key] : undefined
    return value
  })
}

describe('$filter parser and evaluation', () => {
  it('replays the Samen Meten request for the Things of a municipality and project', () => {
    expect(matches("properties/codegemeente eq '344' and properties/project eq 'wastebin'", thing)).toBe(true)
    expect(matches("properties/codegemeente eq '344' and properties/project eq 'crowd'", thing)).toBe(false)
    expect(matches("properties/codegemeente eq '0344'", thing)).toBe(false)
  })

  it('gives and precedence over or, and lets parentheses and not change it', () => {
    expect(matches("name eq 'x' and name eq 'y' or id eq 'wastebin:bin-1'", thing)).toBe(true)
    expect(matches("name eq 'x' and (name eq 'y' or id eq 'wastebin:bin-1')", thing)).toBe(false)
    expect(matches("not (name eq 'x')", thing)).toBe(true)
    expect(matches("not name eq 'Bin at Vredenburg'", thing)).toBe(false)
  })

  it('compares numbers, and strings only with strings', () => {
    expect(matches('properties/retentionDays ge 90', thing)).toBe(true)
    expect(matches('properties/retentionDays gt 90', thing)).toBe(false)
    expect(matches('properties/retentionDays lt 1e3', thing)).toBe(true)
    expect(matches("properties/retentionDays eq '90'", thing)).toBe(false)
    expect(matches("properties/retentionDays ne '90'", thing)).toBe(true)
    expect(matches('result le -1.5', reading)).toBe(false)
    expect(matches('result gt 12.4', reading)).toBe(true)
  })

  it('has startswith, substringof (OData 3 order) and contains (OData 4 order)', () => {
    expect(matches("startswith(name,'Bin')", thing)).toBe(true)
    expect(matches("startswith(name,'bin')", thing)).toBe(false)
    expect(matches("substringof('Vreden', name)", thing)).toBe(true)
    expect(matches("substringof(name, 'Vreden')", thing)).toBe(false)
    expect(matches("contains(properties/codegemeente,'34')", thing)).toBe(true)
    expect(matches("contains('34', properties/codegemeente)", thing)).toBe(false)
    expect(matches("startswith(name,'Bin') eq false", thing)).toBe(false)
  })

  it('reads a doubled quote inside a string as one quote', () => {
    expect(matches("name eq 'Bin at ''t Hoogt'", { name: "Bin at 't Hoogt" })).toBe(true)
  })

  it('treats a window as the half-open interval [start, end) and a reading as an instant', () => {
    expect(matches('phenomenonTime ge 2026-11-30T12:00:00Z', window)).toBe(true)
    expect(matches('phenomenonTime gt 2026-11-30T12:00:00Z', window)).toBe(false)
    expect(matches('phenomenonTime lt 2026-11-30T12:15:00Z', window)).toBe(true)
    expect(matches('phenomenonTime lt 2026-11-30T12:14:59Z', window)).toBe(false)
    expect(matches('phenomenonTime lt 2026-11-30T12:05:00Z', reading)).toBe(false)
    expect(matches('phenomenonTime le 2026-11-30T12:05:00Z', reading)).toBe(true)
    expect(matches('phenomenonTime eq 2026-11-30T13:05:00+01:00', reading)).toBe(true)
    expect(matches('resultTime gt 2026-11-30T12:10:00.5Z', window)).toBe(true)
  })

  it('compares date() with a date literal', () => {
    expect(matches('date(phenomenonTime) eq 2026-11-30', reading)).toBe(true)
    expect(matches('date(resultTime) eq 2026-12-01', reading)).toBe(false)
    expect(matches('date(resultTime) lt 2026-12-01', window)).toBe(true)
  })

  it('matches null against a missing property', () => {
    expect(matches('properties/owner eq null', thing)).toBe(true)
    expect(matches('properties/project ne null', thing)).toBe(true)
  })

  it.each([
    ['name has \'x\'', /Unsupported operator "has"/],
    ['result add 1 gt 2', /Unsupported operator "add"/],
    ['endswith(name,\'x\')', /Unsupported function endswith\(\)/],
    ['startswith(name)', /takes 2 argument/],
    ["name eq 'open", /Unterminated string/],
    ['(name eq 1', /ends where "\)" was expected/],
    ['name eq', /ends where a value/],
    ['name', /must be a condition/],
    ['name eq 1 and 2', /and needs conditions/],
    ['name eq 1 2', /Unexpected "2"/],
    ['name eq #', /Unexpected character "#"/],
    ['phenomenonTime gt 2026-13-45T00:00:00Z', /Invalid datetime/],
    [`${'('.repeat(60)}name eq 1${')'.repeat(60)}`, /nests deeper/]
  ])('refuses %s with a 400 that says what is supported', (filter, message) => {
    const err = errorOf(() => parseFilter(filter))
    expect(err).toMatchObject({ code: 'API_ERR_VALIDATION', status: 400, field: '$filter' })
    expect((err as Error).message).toMatch(message)
    expect((err as Error).message).toMatch(/Supported in \$filter: eq ne gt ge lt le/)
  })

  it('refuses a filter longer than 2000 characters', () => {
    expect(errorOf(() => parseFilter(`name eq '${'x'.repeat(2000)}'`))).toMatchObject({ code: 'API_ERR_VALIDATION' })
  })

  it('reads the time range every match must fall in from the top-level and chain', () => {
    const hour = 3_600_000
    expect(timeBounds(parseFilter('phenomenonTime ge 2026-11-30T00:00:00Z and phenomenonTime lt 2026-12-01T00:00:00Z and result gt 3'), hour))
      .toEqual({ from: Date.parse('2026-11-30T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') + 1 })
    expect(timeBounds(parseFilter('resultTime ge 2026-11-30T00:00:00Z'), hour)).toEqual({ from: Date.parse('2026-11-30T00:00:00Z') - hour })
    // Under or/not a comparison does not bound every match.
    expect(timeBounds(parseFilter('phenomenonTime ge 2026-11-30T00:00:00Z or result gt 3'), hour)).toEqual({})
    expect(timeBounds(parseFilter('not (phenomenonTime lt 2026-11-30T00:00:00Z)'), hour)).toEqual({})
  })
})

describe('query options', () => {
  it('defaults $top to 100, caps it at 1000 and reads $skip, $count, $orderby and $select', () => {
    expect(parseQueryOptions({}, 'Things')).toMatchObject({ top: 100, skip: 0, count: false, orderby: [], expand: [] })
    expect(parseQueryOptions({ $top: '5000', $skip: '10', $count: 'true', $orderby: 'phenomenonTime desc,id', $select: '@iot.id,result' }, 'Observations'))
      .toMatchObject({ top: 1000, skip: 10, count: true, orderby: [{ path: 'phenomenonTime', desc: true }, { path: 'id', desc: false }], select: ['id', 'result'] })
  })

  it('reads one level of $expand with nested options', () => {
    const options = parseQueryOptions({ $expand: "Datastreams($select=name,unitOfMeasurement;$top=2;$filter=startswith(name,'a,b')),Locations" }, 'Things')
    expect(options.expand.map((e) => [e.nav, e.options.select, e.options.top])).toEqual([['Datastreams', ['name', 'unitOfMeasurement'], 2], ['Locations', undefined, 100]])
    expect(options.expand[0]!.options.filter).toMatchObject({ type: 'call', name: 'startswith' })
  })

  it.each([
    [{ $format: 'csv' }, '$format', /Unsupported query option \$format/],
    [{ $top: '-1' }, '$top', /whole number/],
    [{ $count: 'yes' }, '$count', /true or false/],
    [{ $orderby: 'name sideways' }, '$orderby', /asc.*desc/],
    [{ $orderby: 'description' }, '$orderby', /ordered by id, name/],
    [{ $select: 'result' }, '$select', /no property "result"/],
    [{ $filter: 'Datastreams/name eq \'x\'' }, '$filter', /navigation property/],
    [{ $filter: 'nme eq \'x\'' }, '$filter', /no property "nme"/],
    [{ $expand: 'Datastreams/Observations' }, '$expand', /one level/],
    [{ $expand: 'Datastreams($expand=Observations)' }, '$expand', /one level/],
    [{ $expand: 'Sensors' }, '$expand', /no navigation property "Sensors"/],
    [{ $expand: 'Datastreams($select=name' }, '$expand', /Unbalanced/]
  ])('refuses %j', (raw, field, message) => {
    const err = errorOf(() => parseQueryOptions(raw as Record<string, string>, 'Things'))
    expect(err).toMatchObject({ code: 'API_ERR_VALIDATION', field })
    expect((err as Error).message).toMatch(message)
  })
})
