import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

/**
 * A server binary the tests start themselves (influxd, redis-server, postgres): spawned with
 * its stderr kept for failure messages, ready once `ready` answers true, stopped with
 * `signal` and killed if it has not exited after 5 s.
 */
export interface ServerProcess {
  stop (): Promise<void>
}

export async function startServerProcess (
  name: string,
  command: string,
  args: string[],
  ready: () => Promise<boolean>,
  options: { timeoutMs?: number, signal?: NodeJS.Signals, spawn?: SpawnOptions } = {}
): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000
  const proc: ChildProcess = spawn(command, args, { ...options.spawn, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4_000) })
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill(options.signal ?? 'SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${stderr}`)
    if (await ready()) return { stop }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${name} was not ready within ${timeoutMs / 1000} s: ${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
