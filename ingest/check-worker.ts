import { parentPort, workerData } from 'node:worker_threads'
import { isSensorstadError } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'
import type { CheckBatch, CheckResults, CheckWorkerData } from './check-protocol.js'
import { MessageChecker } from './message-check.js'

/**
 * The thread that checks sensor messages (check-thread.ts starts it): scan, decode and
 * validate each message of a batch, in order, and answer with the readings packed in typed
 * arrays, or the reason a message is refused.
 */
const data = workerData as CheckWorkerData
const checker = new MessageChecker(data.kinds, data.maxFutureS)
const fieldIndex = new Map(data.kinds.map((k: KindDefinition) => [k.id, new Map(Object.keys(k.fields).map((f, i) => [f, i]))]))

parentPort!.on('message', (batch: CheckBatch) => {
  const n = batch.sensorIds.length
  const counts = new Int32Array(n)
  const fields: number[] = []
  const times: number[] = []
  const values: number[] = []
  const errors: CheckResults['errors'] = []
  let start = 0
  for (let i = 0; i < n; i++) {
    const end = batch.ends[i]!
    const payload = Buffer.from(batch.payloads, start, end - start)
    start = end
    const kind = batch.kinds[i]!
    try {
      const readings = checker.check({ sensorId: batch.sensorIds[i]!, kind, channel: batch.channels[i]!, payload, now: batch.now[i]! })
      const index = fieldIndex.get(kind)!
      counts[i] = readings.length
      for (const r of readings) {
        fields.push(index.get(r.field)!)
        times.push(r.time)
        values.push(r.value)
      }
    } catch (err) {
      counts[i] = -1
      errors.push(isSensorstadError(err)
        ? { i, code: err.code, message: err.message, field: err.field }
        : { i, internal: err instanceof Error ? err.message : String(err) })
    }
  }
  const packed = { fields: new Uint16Array(fields), times: new Float64Array(times), values: new Float64Array(values) }
  const results: CheckResults = { counts, ...packed, errors }
  parentPort!.postMessage(results, [counts.buffer, packed.fields.buffer, packed.times.buffer, packed.values.buffer])
})

// Compiled and listening: the thread can take messages (CheckThread.start waits for this).
parentPort!.postMessage('ready')
