import type { Sensor } from '../core/sensor.js'
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
 * sensors get here (mobile kinds are refused before). A sensor registered without a place
 * gets `geometry: null` (section 3.2), so no row is lost in this format.
 */
export interface PointGeometry { type: 'Point', coordinates: [number, number] }

export interface ObservationFeature {
  type: 'Feature'
  geometry: PointGeometry | null
  properties: Observation
}

export interface ObservationFeatureCollection {
  type: 'FeatureCollection'
  features: ObservationFeature[]
  /** Foreign members (section 6.1): the same paging as the JSON answer. */
  truncated: boolean
  next?: string
}

export function observationFeatures (rows: readonly Observation[], sensors: ReadonlyMap<string, Sensor>): ObservationFeature[] {
  return rows.map((properties) => {
    const location = sensors.get(properties.sensorId)?.location
    // Position order is longitude, latitude (section 3.1.1).
    const geometry: PointGeometry | null = location === undefined ? null : { type: 'Point', coordinates: [location.lon, location.lat] }
    return { type: 'Feature', geometry, properties }
  })
}
