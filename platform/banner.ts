import { PROCESS_ROLES, withoutPassword } from '../core/config.js'
import type { RunningProcess } from './start-process.js'

/**
 * What a process prints once it listens. The all-in-one process tells a newcomer how to
 * register a first sensor and send it a reading; a process of one role says what it runs
 * and where, with any password in a URL hidden. Both end with the same line, which scripts
 * and tests wait for.
 */
export function banner (p: RunningProcess): string {
  return p.roles.length === PROCESS_ROLES.length && p.broker !== undefined ? allInOne(p, p.broker.servers) : roleBanner(p)
}

function stores (p: RunningProcess): string {
  const { DATA_DIR, INFLUX_URL, DATABASE_URL } = p.config
  if (INFLUX_URL === undefined && DATABASE_URL === undefined) return `embedded store in ${DATA_DIR}`
  return [
    INFLUX_URL === undefined ? `time series in ${DATA_DIR}` : `time series in ${withoutPassword(INFLUX_URL)}`,
    DATABASE_URL === undefined ? `register in ${DATA_DIR}` : `register in ${withoutPassword(DATABASE_URL)}`
  ].join(', ')
}

function roleBanner (p: RunningProcess): string {
  const lines = [
    '',
    `Sensorstad ${p.roles.join(' + ')} is running as ${p.instanceId} (${stores(p)})`,
    ...(p.config.REDIS_URL === undefined ? [] : [`  Peers          ${withoutPassword(p.config.REDIS_URL)}`]),
    ...(p.app === undefined ? [] : [`  API            ${p.httpUrl}/v1/sensors`]),
    `  Health         ${p.httpUrl}/healthz   ${p.httpUrl}/metrics`,
    ...(p.broker === undefined
      ? []
      : [
          `  MQTT           mqtt://localhost:${p.broker.servers.tcpPort}`,
          `  MQTT over WS   ws://localhost:${p.broker.servers.wsPort}/mqtt`,
          ...(p.broker.servers.tlsPort === undefined ? [] : [`  MQTTS          mqtts://localhost:${p.broker.servers.tlsPort}`])
        ]),
    ...(p.stores.generatedAdminToken === undefined ? [] : ['  Admin token (shown once; keep it, or set ADMIN_TOKEN yourself):', `    ${p.stores.generatedAdminToken}`]),
    '',
    'Stop with Ctrl-C.',
    ''
  ]
  return lines.join('\n')
}

function allInOne (p: RunningProcess, servers: { tcpPort: number, wsPort: number, tlsPort: number | undefined }): string {
  const token = p.stores.generatedAdminToken ?? '$ADMIN_TOKEN'
  const root = p.config.MQTT_TOPIC_ROOT
  const lines = [
    '',
    `Sensorstad is running (${stores(p)})`,
    '',
    `  API            ${p.httpUrl}/v1/sensors`,
    `  API docs       ${p.httpUrl}/docs`,
    `  Health         ${p.httpUrl}/healthz   ${p.httpUrl}/metrics`,
    `  MQTT           mqtt://localhost:${servers.tcpPort}`,
    `  MQTT over WS   ws://localhost:${servers.wsPort}/mqtt`,
    ...(servers.tlsPort === undefined ? [] : [`  MQTTS          mqtts://localhost:${servers.tlsPort}`]),
    ''
  ]
  if (p.stores.generatedAdminToken !== undefined) {
    lines.push('  Admin token (shown once; keep it, or set ADMIN_TOKEN yourself):',
      `    ${p.stores.generatedAdminToken}`, '')
  }
  lines.push(
    'Register a first sensor (a waste bin) and send it a reading:',
    '',
    `  curl -s -X POST ${p.httpUrl}/v1/admin/sensors \\`,
    `    -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' \\`,
    '    -d \'{"id":"bin-1","kind":"wastebin","name":"Container Neude","owner":"Gemeente Utrecht","purpose":"Empty bins when full","legalBasis":"Public task (AVG art. 6.1e)","dpiaRef":"DPIA-2026-01","processesPersonalData":false,"public":true,"location":{"lat":52.0928,"lon":5.1176}}\'',
    '',
    '  # the answer holds credentials.password, shown once; then:',
    `  mosquitto_pub -h localhost -p ${servers.tcpPort} -i bin-1 -u bin-1 -P '<password>' -q 1 \\`,
    `    -t ${root}/wastebin/bin-1/json -m '{"fillingLevel": 42}'`,
    '',
    `  curl -s '${p.httpUrl}/v1/latest?sensor=bin-1'`,
    '',
    'Every admin task from a terminal: npm run admin -- --help',
    '',
    'Stop with Ctrl-C.',
    ''
  )
  return lines.join('\n') + '\n'
}
