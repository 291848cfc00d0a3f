import { describe, expect, it } from 'vitest'
import { ERRORS, isSensorstadError } from '../../../core/errors.js'
import { DECODERS } from '../../../ingest/decoders/index.js'
import { compileKind } from '../../../ingest/validate.js'
import { caseRandom, fuzzSeed, mutatePayload, pick, readingViolation, validPayloads } from '../../helpers/fuzz.js'
import { loadKind, NOW } from '../helpers.js'

/**
 * Mutated payloads straight into the decoders and the validator: each one is refused with a
 * catalogued SensorstadError or becomes readings within the kind's ranges. Any other
 * exception, or one case taking long (a parser going quadratic), is a defect.
 */

/** Seeds that once failed; they run before the random one, and stay. */
const FUZZ_REGRESSIONS: number[] = []
const CASES = 4_000
// Generous for a slow CI machine; a linear parser takes well under a millisecond per case.
const SLOW_CASE_MS = 250

describe('decoders under fuzz', () => {
  const kinds = ['crowd', 'wastebin', 'snuffelfiets'].map(loadKind)
  const validators = new Map(kinds.map((kind) => [kind.id, compileKind(kind)]))
  const seed = fuzzSeed()

  for (const runSeed of [...FUZZ_REGRESSIONS, seed]) {
    it(`refuses with a catalogued code or yields readings in range (seed ${runSeed})`, () => {
      console.info(`decoder fuzz seed ${runSeed}; replay with FUZZ_SEED=${runSeed}`)
      const failures: string[] = []
      let accepted = 0
      for (let i = 0; i < CASES && failures.length < 5; i++) {
        const random = caseRandom(runSeed, i)
        const kind = pick(random, kinds)
        const channel = pick(random, ['senml', 'json'] as const)
        const valid = Buffer.from(pick(random, validPayloads(kind.id, NOW / 1000)[channel]))
        const { payload, steps } = mutatePayload(random, valid)
        const where = `seed ${runSeed} case ${i} (${kind.id}/${channel}, ${steps.join('+')})`
        const started = performance.now()
        try {
          const groups = DECODERS[channel](payload, NOW)
          const readings = validators.get(kind.id)!.toReadings(groups, { sensorId: 'fuzz', now: NOW, maxFutureMs: 300_000 })
          accepted++
          for (const reading of readings) {
            const violation = readingViolation(kind, reading)
            if (violation !== undefined) failures.push(`${where}: accepted ${violation}`)
            if (!Number.isSafeInteger(reading.time)) failures.push(`${where}: time ${reading.time} is not whole milliseconds`)
          }
        } catch (err) {
          if (!isSensorstadError(err) || !Object.hasOwn(ERRORS, err.code) || !err.code.startsWith('INGEST_ERR_')) {
            failures.push(`${where}: threw ${String(err)}`)
          }
        }
        const took = performance.now() - started
        if (took > SLOW_CASE_MS) failures.push(`${where}: took ${Math.round(took)} ms`)
      }
      expect(failures).toEqual([])
      // A fuzzer whose mutants are all refused tests only the refusals.
      expect(accepted).toBeGreaterThan(0)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })
  }
})
