import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { sensorSchema, zoneSchema, type Sensor, type Zone } from '../../core/sensor.js'
import { DuckDbRegistryStore } from '../../registry/duckdb-registry-store.js'
import { hashSecret } from '../../registry/secrets.js'
import { BENCH_KINDS, benchSensor, MONITORS_PER_ZONE, ZONE_CAPACITY, zoneIdOf, type BenchKind } from './bench-sensors.js'

/**
 * Bench shortcut: the register is written straight into `registry.duckdb` before the platform
 * starts, the shape a city's bulk import would have, instead of 10,000 calls to
 * `POST /v1/admin/sensors` (each an scrypt hash of ~40 ms). Every bench sensor gets the SAME
 * secret and stored hash: the registry remembers verified secrets keyed by the stored hash
 * (registry/secrets.ts), so the whole fleet costs one scrypt at connect time.
 *
 * Zones go through `DuckDbRegistryStore.putZone`. Sensors and credentials are appended in
 * bulk into the same tables, because `putSensor` costs ~2.4 ms per row here (one DuckDB
 * statement each: 10,000 sensors would take 50 s). The file is then read back through
 * `DuckDbRegistryStore.load()` and every entry checked against the register's own schemas,
 * so a change of the store's layout fails here, loudly, rather than as refused connections.
 */
export const BENCH_SECRET = 'bench-secret-not-for-production-use-0000000000'
const T0 = '2026-01-05T08:00:00.000Z'
const REGISTRY_FILE = 'registry.duckdb'

export function registerEntry (kind: BenchKind, index: number): Sensor {
  const s = benchSensor(kind, index)
  const common = {
    id: s.id,
    kind,
    owner: 'Gemeente Utrecht',
    contact: 'bench@utrecht.example',
    legalBasis: 'Public task (AVG art. 6.1e)',
    dpiaRef: 'DPIA-BENCH-1',
    processesPersonalData: false as const,
    status: 'active' as const,
    createdAt: T0,
    updatedAt: T0
  }
  if (kind === 'wastebin') {
    return { ...common, name: `Container ${index}`, purpose: 'Empty containers when full', retentionDays: 90, public: true, location: spot(index) }
  }
  if (kind === 'crowd') {
    return { ...common, name: `Druktemonitor ${index}`, purpose: 'Keep crowds in the city centre safe', retentionDays: 7, public: true, location: spot(index), zoneId: s.zoneId! }
  }
  return { ...common, name: `Snuffelfiets ${index}`, purpose: 'Map air quality along bicycle routes', retentionDays: 1, public: false }
}

export function benchZone (zoneIndex: number): Zone {
  const lon = 5.10 + (zoneIndex % 20) * 0.002
  const lat = 52.08 + Math.floor(zoneIndex / 20) * 0.002
  const ring: Array<[number, number]> = [[lon, lat], [lon + 0.0015, lat], [lon + 0.0015, lat + 0.001], [lon, lat + 0.001], [lon, lat]]
  return {
    id: zoneIdOf(zoneIndex * MONITORS_PER_ZONE),
    name: `Bench zone ${zoneIndex}`,
    geometry: { type: 'Polygon', coordinates: [ring] },
    areaM2: 11_400,
    capacity: ZONE_CAPACITY,
    // Counted in people and set above what the bench's monitors add up to, so the alert
    // engine runs its rules every tick but raises no alerts.
    thresholds: { unit: 'people', busy: 20_000, crowded: 40_000, critical: 60_000 },
    createdAt: T0,
    updatedAt: T0
  }
}

/** A fixed spot in the city centre for a bin or monitor (fixed kinds need a location). */
function spot (index: number): { lat: number, lon: number } {
  return { lat: 52.07 + (index % 100) * 0.0005, lon: 5.09 + Math.floor(index / 100) % 100 * 0.0005 }
}

/**
 * Writes a register holding `counts[kind]` sensors of each kind (and their zones) under
 * `dir`, and returns the file. Platform runs copy it into their own DATA_DIR.
 */
export async function writeBenchRegister (dir: string, counts: Record<BenchKind, number>): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, REGISTRY_FILE)
  for (const file of [path, `${path}.wal`]) rmSync(file, { force: true })
  const secretHash = await hashSecret(BENCH_SECRET)
  const sensors: Sensor[] = []
  for (const kind of BENCH_KINDS) for (let i = 0; i < counts[kind]; i++) sensors.push(registerEntry(kind, i))
  const zones = Array.from({ length: Math.ceil(counts.crowd / MONITORS_PER_ZONE) }, (_, z) => benchZone(z))

  const store = await DuckDbRegistryStore.open(path)
  try {
    for (const zone of zones) await store.putZone(zoneSchema.parse(zone))
  } finally {
    await store.close()
  }

  const instance = await DuckDBInstance.create(path)
  const conn = await instance.connect()
  try {
    const append = async (table: string, rows: Array<[string, unknown]>): Promise<void> => {
      const appender = await conn.createAppender(table)
      for (const [id, doc] of rows) {
        appender.appendVarchar(id)
        appender.appendVarchar(JSON.stringify(doc))
        appender.endRow()
      }
      appender.closeSync()
    }
    await append('sensors', sensors.map((s) => [s.id, s]))
    await append('credentials', sensors.map((s) => [s.id, { sensorId: s.id, secretHash, rotatedAt: T0 }]))
  } finally {
    conn.closeSync()
    instance.closeSync()
  }

  const check = await DuckDbRegistryStore.open(path)
  try {
    const snapshot = await check.load()
    if (snapshot.sensors.length !== sensors.length || snapshot.credentials.length !== sensors.length || snapshot.zones.length !== zones.length) {
      throw new Error(`bench register: wrote ${sensors.length} sensors and ${zones.length} zones, read back ${snapshot.sensors.length} sensors, ${snapshot.credentials.length} credentials, ${snapshot.zones.length} zones`)
    }
    for (const sensor of snapshot.sensors) sensorSchema.parse(sensor)
  } finally {
    await check.close()
  }
  return path
}

/** Copies the register file (and its WAL, if DuckDB left one) into a platform's DATA_DIR. */
export function copyRegister (registerPath: string, dataDir: string): void {
  mkdirSync(dataDir, { recursive: true })
  copyFileSync(registerPath, join(dataDir, REGISTRY_FILE))
  if (existsSync(`${registerPath}.wal`)) copyFileSync(`${registerPath}.wal`, join(dataDir, `${REGISTRY_FILE}.wal`))
}
