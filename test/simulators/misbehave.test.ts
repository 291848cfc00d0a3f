import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config.js'
import { ERRORS, type ErrorCode } from '../../core/errors.js'
import { scanPayload } from '../../ingest/privacy/identifiers.js'
import { BAD_RECIPES, badMessage, type BadMessage } from '../../simulators/misbehave.js'
import { SIMULATED_KINDS } from '../../simulators/models.js'
import { kindDefinition, payloadErrors } from './kind-schemas.js'

const NOW = Date.UTC(2025, 5, 7, 12)
const maxFutureS = loadConfig({}).INGEST_MAX_FUTURE_S

interface Parsed {
  json: unknown
  /** The flat reading, or the SenML records as one. */
  fields: Record<string, unknown>
  units: Record<string, unknown>
  timeMs: number | undefined
}

function parse (bad: BadMessage): Parsed {
  const json: unknown = JSON.parse(bad.body)
  if (bad.channel === 'senml') {
    const records = json as Array<{ n: string, u?: string, v?: number, vs?: string, bt?: number }>
    return {
      json,
      fields: Object.fromEntries(records.map((r) => [r.n, r.v ?? r.vs])),
      units: Object.fromEntries(records.map((r) => [r.n, r.u])),
      timeMs: records[0]?.bt === undefined ? undefined : records[0].bt * 1000
    }
  }
  const { time, ...fields } = json as Record<string, unknown>
  return { json, fields, units: {}, timeMs: time === undefined ? undefined : Date.parse(String(time)) }
}

/** What makes a message deserve each code, checked independently of how the recipe built it. */
const deserves: Partial<Record<ErrorCode, (bad: BadMessage, kind: string) => boolean>> = {
  INGEST_ERR_MALFORMED: (bad) => { try { JSON.parse(bad.body); return false } catch { return true } },
  INGEST_ERR_UNDECLARED_FIELD: (bad, kind) => Object.keys(parse(bad).fields).some((f) => !Object.hasOwn(kindDefinition(kind).fields, f)),
  INGEST_ERR_TYPE: (bad) => Object.values(parse(bad).fields).some((v) => typeof v === 'string'),
  INGEST_ERR_FUTURE: (bad) => parse(bad).timeMs! > NOW + maxFutureS * 1000,
  INGEST_ERR_TOO_LATE: (bad, kind) => parse(bad).timeMs! < NOW - kindDefinition(kind).allowedLatenessS * 1000,
  INGEST_ERR_FORBIDDEN_KEY: (bad) => Object.hasOwn(parse(bad).json as object, '__proto__'),
  INGEST_ERR_OUT_OF_RANGE: (bad, kind) => {
    const { fields } = parse(bad)
    return Object.values(fields).every(Number.isFinite) && payloadErrors(kind, fields).length > 0
  },
  INGEST_ERR_NOT_FINITE: (bad) => Object.values(parse(bad).fields).some((v) => typeof v === 'number' && !Number.isFinite(v)),
  INGEST_ERR_UNIT: (bad, kind) => Object.entries(parse(bad).units).some(([f, u]) => u !== kindDefinition(kind).fields[f]?.unit),
  INGEST_ERR_EMPTY: (bad) => Array.isArray(parse(bad).json) && (parse(bad).json as unknown[]).length === 0,
  INGEST_ERR_IDENTIFIER: (bad) => scanPayload(Buffer.from(bad.body), 'sim-x-001') !== undefined
}

describe('misbehaving messages', () => {
  it('each earn a code from the error catalogue, and every recipe is checked here', () => {
    for (const recipe of BAD_RECIPES) {
      expect(Object.hasOwn(ERRORS, recipe.expected)).toBe(true)
      expect(deserves[recipe.expected]).toBeDefined()
    }
  })

  for (const model of SIMULATED_KINDS) {
    it(`for ${model.kind}, are wrong in exactly the way they claim`, () => {
      for (let n = 0; n < BAD_RECIPES.length; n++) {
        const bad = badMessage(model.sample, 'sim-x-001', n, NOW)
        expect(deserves[bad.expected]!(bad, model.kind), `${bad.expected}: ${bad.body}`).toBe(true)
        // The identifier scan runs first: a message meant for another code must hold none.
        if (bad.expected !== 'INGEST_ERR_IDENTIFIER') expect(deserves.INGEST_ERR_IDENTIFIER!(bad, model.kind), bad.body).toBe(false)
      }
    })

    it(`for ${model.kind}, start from a sample the schema accepts`, () => {
      const { field, unit, value, outOfRange } = model.sample
      expect(kindDefinition(model.kind).fields[field]?.unit).toBe(unit)
      expect(payloadErrors(model.kind, { [field]: value })).toEqual([])
      expect(payloadErrors(model.kind, { [field]: outOfRange })).not.toEqual([])
    })
  }

  it('cycle through every recipe', () => {
    const codes = Array.from({ length: BAD_RECIPES.length }, (_, n) => badMessage(SIMULATED_KINDS[0]!.sample, 'x', n, NOW).what)
    expect(new Set(codes).size).toBe(BAD_RECIPES.length)
    expect(badMessage(SIMULATED_KINDS[0]!.sample, 'x', BAD_RECIPES.length, NOW).what).toBe(codes[0])
  })
})
