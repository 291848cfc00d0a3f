import { join } from 'node:path'
import { loadConfig } from '../../../core/config.js'
import type { Sensor, Zone } from '../../../core/sensor.js'
import { createLogger, startPlatform, type Platform } from '../../../platform.js'
import { DuckDbRegistryStore } from '../../../registry/duckdb-registry-store.js'
import { BIN_FIELDS, CROWD_FIELD, ZONE_ID, type Fleet } from './fleet.js'
import { queryRanges, type BenchQuery } from './queries.js'

/**
 * SensorThings pages through the real platform: `startPlatform` (platform.ts) on the loaded
 * DATA_DIR, ports 0 on 127.0.0.1, timed with HTTP GETs as a client makes them. The register
 * is written through its store port before the platform starts (the API would spend 40 ms of
 * scrypt per sensor on secrets nobody uses here).
 */
const CREATED = '2024-01-01T00:00:00.000Z'
/** A year's first second: the jobs that would write while pages are timed stay idle. */
const NOT_DURING_THE_BENCH = '0 0 1 1 *'

export async function seedRegistry (dataDir: string, fleet: Fleet): Promise<void> {
  const store = await DuckDbRegistryStore.open(join(dataDir, 'registry.duckdb'))
  try {
    const zone: Zone = {
      id: ZONE_ID,
      name: 'Bench zone',
      geometry: { type: 'Polygon', coordinates: [[[5.1155, 52.0925], [5.1175, 52.0925], [5.1175, 52.0935], [5.1155, 52.0935], [5.1155, 52.0925]]] },
      areaM2: 15_000,
      createdAt: CREATED,
      updatedAt: CREATED
    }
    await store.putZone(zone)
    for (const s of [...fleet.crowd, ...fleet.bins]) {
      const sensor: Sensor = {
        id: s.id,
        kind: s.kind,
        name: `Bench ${s.kind} ${s.index}`,
        owner: 'Gemeente Utrecht',
        purpose: 'Query benchmark',
        legalBasis: 'Public task (AVG art. 6.1e)',
        retentionDays: s.kind === 'crowd' ? 7 : 90,
        dpiaRef: 'DPIA-BENCH',
        processesPersonalData: false,
        public: true,
        ...(s.kind === 'crowd' ? { zoneId: ZONE_ID } : { location: { lat: 52.05 + (s.index % 100) / 1000, lon: 5.08 + Math.floor(s.index / 100) / 1000 } }),
        status: 'active',
        createdAt: CREATED,
        updatedAt: CREATED
      }
      await store.putSensor(sensor)
    }
  } finally {
    await store.close()
  }
}

export async function startBenchPlatform (dataDir: string, env: Record<string, string> = {}): Promise<Platform> {
  const config = loadConfig({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ROLLUP_CRON: NOT_DURING_THE_BENCH,
    RETENTION_CRON: NOT_DURING_THE_BENCH,
    EXPORT_CRON: NOT_DURING_THE_BENCH,
    // One client asks hundreds of pages a minute here.
    HTTP_RATE_LIMIT_PER_MIN: '1000000',
    ...env
  })
  return startPlatform(config, createLogger(config))
}

export function binDatastream (fleet: Fleet): string {
  return `wastebin:${fleet.bins[0]!.id}:${BIN_FIELDS[0]}`
}

export function zoneDatastream (): string {
  return `crowd:${ZONE_ID}:${CROWD_FIELD}`
}

/** The page's URL path and query: phenomenonTime in [from, to), result over 50, 100 at most. */
export function observationsUrl (datastream: string, range: { from: number, to: number }, top = 100): string {
  const iso = (ms: number): string => new Date(ms).toISOString()
  const query = new URLSearchParams({ $filter: `phenomenonTime ge ${iso(range.from)} and phenomenonTime lt ${iso(range.to)} and result gt 50`, $top: String(top) })
  return `/sta/v1.1/Datastreams('${encodeURIComponent(datastream)}')/Observations?${query.toString()}`
}

export function staQueries (platform: Platform, fleet: Fleet, end: number): BenchQuery[] {
  const ranges = queryRanges(end)
  const get = async (path: string): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${platform.httpPort}${path}`)
    const body = await res.json() as { value?: unknown[] }
    if (res.status !== 200 || !Array.isArray(body.value)) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`)
    return body.value.length
  }
  const bin = observationsUrl(binDatastream(fleet), ranges.month)
  const zone = observationsUrl(zoneDatastream(), ranges.week)
  return [
    {
      name: 'sta-bin-page',
      description: `GET ${decodeURIComponent(bin)}`,
      path: 'HTTP: catalogue built from the register, store.readings(kind, field, [sensor], 30 days), $filter and $top applied in the API',
      run: () => get(bin)
    },
    {
      name: 'sta-zone-page',
      description: `GET ${decodeURIComponent(zone)}`,
      path: 'HTTP: store.aggregates(crowd, 15m, every public monitor, 7 days, auto) into the public zone table (k suppression), $filter and $top in the API',
      run: () => get(zone)
    }
  ]
}
