/**
 * Sensorstad's process. With no argument (`npm start`) it is all in one: the MQTT broker
 * (TCP, WebSocket and optionally TLS), ingest, the HTTP API and the scheduled jobs, on the
 * embedded store under DATA_DIR. `tsx main.ts broker|api|jobs` (or ROLE) runs one role of a
 * deployment that shares its state through Redis, PostgreSQL and InfluxDB (README, "Scaling
 * out"); the argument wins over ROLE.
 * Settings come from the environment (see .env.example); a bad value stops the boot with a
 * message naming the variable.
 */
import { loadConfig } from './core/config.js'
import { isSensorstadError } from './core/errors.js'
import { banner } from './platform/banner.js'
import { createLogger, startProcess, type RunningProcess } from './platform.js'

async function main (): Promise<void> {
  const role = process.argv[2]
  let config
  try {
    config = loadConfig(role === undefined ? process.env : { ...process.env, ROLE: role })
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(78) // EX_CONFIG
  }
  const logger = createLogger(config)
  let running: RunningProcess
  try {
    running = await startProcess(config, logger)
  } catch (err) {
    const hint = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? ' A port is taken: stop the other process or set HTTP_PORT, MQTT_PORT, MQTT_WS_PORT, MQTT_TLS_PORT.'
      : ''
    process.stderr.write(`Sensorstad could not start: ${err instanceof Error ? err.message : String(err)}.${hint}\n`)
    process.exit(isSensorstadError(err) && err.code === 'CONFIG_ERR_INVALID' ? 78 : 1)
  }
  process.stdout.write(banner(running))

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    logger.info({ signal }, 'closing: finishing writes, then stopping')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    running.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

await main()
