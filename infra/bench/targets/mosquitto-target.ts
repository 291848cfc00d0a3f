import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../../test/helpers/free-port.js'
import { bareTarget, spawnUntil, type RunningTarget } from './target.js'

/**
 * Bare mosquitto (2.x) as the C reference, when the binary is installed (Debian package
 * `mosquitto`): anonymous, no persistence, one loopback listener, logging only errors and
 * its start line (information level, with connection messages off).
 */
export const MOSQUITTO = 'mosquitto'

export function hasMosquitto (): boolean {
  const probe = spawnSync(MOSQUITTO, ['-h'])
  return probe.error === undefined
}

export async function startMosquitto (workDir: string): Promise<RunningTarget> {
  const dir = mkdtempSync(join(workDir, 'mosquitto-'))
  const port = await freePort()
  const config = join(dir, 'mosquitto.conf')
  writeFileSync(config, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // The overload subscriber may fall behind; mosquitto drops QoS 0 beyond this queue.
    'max_queued_messages 100000',
    'connection_messages false',
    'log_dest stderr',
    'log_type error',
    'log_type information',
    ''
  ].join('\n'))
  const handle = await spawnUntil(MOSQUITTO, ['-c', config], {}, /running/)
  return bareTarget('mosquitto', port, handle, () => rmSync(dir, { recursive: true, force: true }))
}
