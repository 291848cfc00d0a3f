import { spawn, type ChildProcess } from 'node:child_process'

/**
 * The platform as a separate process (`node --import tsx main.ts`), for tests that kill it:
 * a crash has to be a real one, which an in-process platform cannot have. Ports are fixed by
 * the test (picked free once) so that a restart is found where the sensors left it.
 */
export interface PlatformProcess {
  child: ChildProcess
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Everything the process wrote to stdout and stderr so far, for failure messages. */
  output (): string
}

export interface PlatformProcessOptions {
  dataDir: string
  httpPort: number
  mqttPort: number
  adminToken: string
  env?: Record<string, string>
}

/** A TCP port nobody listens on at the moment (bound on port 0, then released). */
export { freePort } from './free-port.js'

/** Starts main.ts and resolves once its banner is printed, that is once it listens. */
export async function startPlatformProcess (options: PlatformProcessOptions, timeoutMs = 20_000): Promise<PlatformProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(options.httpPort),
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(options.mqttPort),
    MQTT_WS_PORT: '0',
    DATA_DIR: options.dataDir,
    ADMIN_TOKEN: options.adminToken,
    LOG_LEVEL: 'warn',
    // Crash tests publish as fast as the socket allows, past any kind's rate limit.
    MQTT_PUBLISH_RATE_LIMIT: 'false',
    MQTT_AUTH_FAILURES_PER_MIN: '1000',
    ...options.env
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in ${timeoutMs} ms:\n${output}`)), timeoutMs)
    const onData = (): void => {
      if (!output.includes('Stop with Ctrl-C')) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      resolve()
    }
    child.stdout!.on('data', onData)
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`exited (${code ?? signal}) before listening:\n${output}`))
    }, () => {})
  })
  return { child, exited, output: () => output }
}

/** Sends `signal` and waits for the process to end (at once if it already has). */
export async function stopPlatformProcess (p: PlatformProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal)
  return p.exited
}
