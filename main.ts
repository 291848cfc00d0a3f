/**
 * Sensorstad, all in one process: the MQTT broker (TCP, WebSocket and optionally TLS),
 * ingest, the HTTP API and the scheduled jobs, on the embedded store under DATA_DIR.
 * `npm start` runs this.
 * Settings come from the environment (see .env.example); a bad value stops the boot with a
 * message naming the variable.
 */
import { loadConfig } from './core/config.js'
import { isSensorstadError } from './core/errors.js'
import { createLogger, startPlatform, type Platform } from './platform.js'

async function main (): Promise<void> {
  let config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(78) // EX_CONFIG
  }
  const logger = createLogger(config)
  let platform: Platform
  try {
    platform = await startPlatform(config, logger)
  } catch (err) {
    const hint = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? ' A port is taken: stop the other process or set HTTP_PORT, MQTT_PORT, MQTT_WS_PORT, MQTT_TLS_PORT.'
      : ''
    process.stderr.write(`Sensorstad could not start: ${err instanceof Error ? err.message : String(err)}.${hint}\n`)
    process.exit(isSensorstadError(err) && err.code === 'CONFIG_ERR_INVALID' ? 78 : 1)
  }
  process.stdout.write(banner(platform))

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    logger.info({ signal }, 'closing: finishing writes, then stopping')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    platform.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

function banner (p: Platform): string {
  const token = p.generatedAdminToken ?? '$ADMIN_TOKEN'
  const root = p.config.MQTT_TOPIC_ROOT
  const lines = [
    '',
    'Sensorstad is running (embedded store in ' + p.config.DATA_DIR + ')',
    '',
    `  API            ${p.httpUrl}/v1/sensors`,
    `  API docs       ${p.httpUrl}/docs`,
    `  Health         ${p.httpUrl}/healthz   ${p.httpUrl}/metrics`,
    `  MQTT           mqtt://localhost:${p.mqttPort}`,
    `  MQTT over WS   ws://localhost:${p.mqttWsPort}/mqtt`,
    ...(p.mqttTlsPort === undefined ? [] : [`  MQTTS          mqtts://localhost:${p.mqttTlsPort}`]),
    ''
  ]
  if (p.generatedAdminToken !== undefined) {
    lines.push('  Admin token (shown once; keep it, or set ADMIN_TOKEN yourself):',
      `    ${p.generatedAdminToken}`, '')
  }
  lines.push(
    'Register a first sensor (a waste bin) and send it a reading:',
    '',
    `  curl -s -X POST ${p.httpUrl}/v1/admin/sensors \\`,
    `    -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' \\`,
    '    -d \'{"id":"bin-1","kind":"wastebin","name":"Container Neude","owner":"Gemeente Utrecht","purpose":"Empty bins when full","legalBasis":"Public task (AVG art. 6.1e)","dpiaRef":"DPIA-2026-01","processesPersonalData":false,"public":true,"location":{"lat":52.0928,"lon":5.1176}}\'',
    '',
    '  # the answer holds credentials.password, shown once; then:',
    `  mosquitto_pub -h localhost -p ${p.mqttPort} -i bin-1 -u bin-1 -P '<password>' -q 1 \\`,
    `    -t ${root}/wastebin/bin-1/json -m '{"fillingLevel": 42}'`,
    '',
    `  curl -s '${p.httpUrl}/v1/latest?sensor=bin-1'`,
    '',
    'Stop with Ctrl-C.',
    ''
  )
  return lines.join('\n') + '\n'
}

await main()
