/**
 * A load generator process: the bench forks several of these so that the generator, not the
 * broker, is never the bottleneck. Driven over the IPC channel by generator-pool.ts, one
 * request at a time: `{ id, cmd, arg }` in, `{ id, ok, result | error }` out.
 */
import { LoadGenerator, type FleetConfig, type PhaseConfig } from './load-generator.js'

let generator: LoadGenerator | undefined

interface Request { id: number, cmd: string, arg?: unknown }

async function handle (cmd: string, arg: unknown): Promise<unknown> {
  if (cmd === 'init') {
    generator = new LoadGenerator(arg as FleetConfig)
    return null
  }
  if (generator === undefined) throw new Error('init first')
  switch (cmd) {
    case 'connect': return await generator.connect()
    case 'configure': return await generator.configure(arg as PhaseConfig)
    case 'start': return generator.start()
    case 'mark': return generator.mark()
    case 'stop': return generator.stop()
    case 'drain': return await generator.drain(Number(arg))
    case 'stats': return generator.stats()
    case 'close':
      generator.close()
      setImmediate(() => process.exit(0))
      return null
    default: throw new Error(`unknown command ${cmd}`)
  }
}

process.on('message', (message: Request) => {
  handle(message.cmd, message.arg).then(
    (result) => process.send?.({ id: message.id, ok: true, result: result ?? null }),
    (err: unknown) => process.send?.({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) })
  )
})
// The bench went away: nothing left to drive us.
process.on('disconnect', () => process.exit(0))
