import { SensorstadError } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'
import type { Sensor } from '../core/sensor.js'
import type { Registry } from '../registry/registry.js'

/**
 * Which sensors and fields open-data routes may publish: sensors registered as `public`,
 * and fields of privacy class `open`. Locations and internal counters are never in this set.
 */
export function publicSensors (registry: Registry, filter: { sensor?: string | undefined, kind?: string | undefined }): Sensor[] {
  if (filter.kind !== undefined && !registry.kinds.has(filter.kind)) {
    throw new SensorstadError('REGISTRY_ERR_UNKNOWN_KIND', `No kind ${filter.kind}; see GET /v1/kinds`, 'kind')
  }
  const ids = filter.sensor?.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (ids !== undefined && ids.length > 0) {
    return ids.map((id) => {
      const sensor = registry.getSensor(id)
      if (sensor === undefined || !sensor.public) throw new SensorstadError('REGISTRY_ERR_NOT_FOUND', `No public sensor ${id}; see GET /v1/sensors`, 'sensor')
      return sensor
    }).filter((s) => filter.kind === undefined || s.kind === filter.kind)
  }
  return registry.listSensors().filter((s) => s.public && (filter.kind === undefined || s.kind === filter.kind))
}

export interface OpenField { kind: string, field: string, unit: string }

export function openFields (kinds: ReadonlyMap<string, KindDefinition>, sensors: readonly Sensor[], field: string | undefined): OpenField[] {
  const kindIds = [...new Set(sensors.map((s) => s.kind))].sort()
  const fields = kindIds.flatMap((id) => Object.entries(kinds.get(id)?.fields ?? {})
    .filter(([name, spec]) => spec.privacy === 'open' && (field === undefined || name === field))
    .map(([name, spec]) => ({ kind: id, field: name, unit: spec.unit })))
  if (field !== undefined && fields.length === 0 && sensors.length > 0) {
    throw new SensorstadError('API_ERR_VALIDATION', `Field ${field} is not published for ${kindIds.join(', ')}; see the open fields at GET /v1/kinds`, 'field')
  }
  return fields
}
