import type { Polygon, Sensor, Zone } from '../core/sensor.js'
import type { Observation } from './schemas.js'

/**
 * /v1/observations as GeoJSON (RFC 7946): one Point feature per row, at the sensor's
 * registered location, with the JSON row as its properties.
 *
 * One feature per observation rather than one per sensor carrying an array: map libraries
 * style and filter on flat properties (Leaflet's `style(feature)`, MapLibre expressions such
 * as `["get", "value"]`, QGIS attribute tables), and none of them reads an array of values;
 * it also keeps a page of features equal to a page of rows, so the cursor works unchanged.
 *
 * The location is the register's (public at /v1/sensors), never a reading: only fixed
 * sensors get here (mobile kinds are refused before). A sensor placed by zone only (a crowd
 * monitor, seen per monitor with an enforcement token) gets its zone's polygon; one with
 * neither gets `geometry: null` (section 3.2), so no row is lost in this format.
 */
export interface PointGeometry { type: 'Point', coordinates: [number, number] }

export interface ObservationFeature {
  type: 'Feature'
  geometry: PointGeometry | Polygon | null
  properties: Observation
}

export interface ObservationFeatureCollection {
  type: 'FeatureCollection'
  features: ObservationFeature[]
  /** Foreign members (section 6.1): the same paging as the JSON answer. */
  truncated: boolean
  next?: string
}

export function observationFeatures (rows: readonly Observation[], sensors: ReadonlyMap<string, Sensor>, zoneOf: (id: string) => Zone | undefined = () => undefined): ObservationFeature[] {
  return rows.map((properties) => {
    const sensor = sensors.get(properties.sensorId)
    const location = sensor?.location
    const zone = sensor?.zoneId === undefined ? undefined : zoneOf(sensor.zoneId)
    // Position order is longitude, latitude (section 3.1.1).
    const geometry = location !== undefined
      ? { type: 'Point' as const, coordinates: [location.lon, location.lat] as [number, number] }
      : zone?.geometry ?? null
    return { type: 'Feature', geometry, properties }
  })
}
