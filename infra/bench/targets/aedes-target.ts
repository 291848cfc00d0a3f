import { fileURLToPath } from 'node:url'
import { BENCH_SECRET } from '../provision.js'
import { finishBare, spawnUntil, type RunningTarget } from './target.js'

const SERVER = fileURLToPath(new URL('./aedes-server.ts', import.meta.url))

/** Bare aedes in a child process (aedes-server.ts). */
export async function startAedes (): Promise<RunningTarget> {
  const handle = await spawnUntil(process.execPath, ['--import', 'tsx', SERVER], {}, /listening (\d+)/)
  let finished = false
  return {
    name: 'aedes',
    port: Number(handle.match[1]),
    pid: handle.child.pid!,
    password: BENCH_SECRET,
    subscriber: { clientId: 'bench-subscriber', filter: '#' },
    alive: () => handle.child.exitCode === null && handle.child.signalCode === null,
    async finish () {
      const report = await finishBare(handle, finished)
      finished = true
      return report
    }
  }
}
