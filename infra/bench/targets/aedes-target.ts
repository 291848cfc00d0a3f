import { fileURLToPath } from 'node:url'
import { bareTarget, spawnUntil, type RunningTarget } from './target.js'

const SERVER = fileURLToPath(new URL('./aedes-server.ts', import.meta.url))

/** Bare aedes in a child process (aedes-server.ts). */
export async function startAedes (): Promise<RunningTarget> {
  const handle = await spawnUntil(process.execPath, ['--import', 'tsx', SERVER], {}, /listening (\d+)/)
  return bareTarget('aedes', Number(handle.match[1]), handle)
}
