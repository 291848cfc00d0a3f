import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { redactPaths, SECRET_NAMES, withheldFieldNames } from '../../core/sensitive.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { createLogger, REDACT_PATHS } from '../../platform.js'

describe('sensitive names', () => {
  it('are the withheld fields of the built-in kinds', () => {
    expect(withheldFieldNames(loadKinds().values())).toEqual(['lat', 'lon', 'trip'])
  })

  it('feed pino redact, so a log line cannot show them at the top level or one down', async () => {
    expect(REDACT_PATHS).toEqual(redactPaths([...SECRET_NAMES, 'lat', 'lon', 'trip']))
    let out = ''
    const sink = new PassThrough()
    sink.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const log = createLogger({ LOG_LEVEL: 'info' }, sink)
    log.info({ password: 'hunter2', lat: 52.0912345, reading: { lon: 5.1234567, trip: 7 }, sensorId: 'bin-1' }, 'x')
    await new Promise((resolve) => setImmediate(resolve))
    expect(out).toContain('bin-1')
    expect(out).not.toMatch(/hunter2|52\.0912345|5\.1234567|"trip":7/)
  })
})
