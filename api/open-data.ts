import { SensorstadError } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'
import type { Sensor } from '../core/sensor.js'
import type { Registry } from '../registry/registry.js'

/**
 * Which sensors and fields open-data routes may publish: sensors registered as `public`,
 * and fields of privacy class `open`. Locations and internal counters are never in this set.
 */
/**
 * Who asks decides what per-sensor data they get (privacy rules 6, 8 and 11):
 * - mobile kinds have no per-sensor data at all: their rides live only as grid cells (/v1/grid);
 * - counts of people (crowd) go to the public only per zone, suppressed and lagged
 *   (/v1/crowd); enforcement and admin see each monitor exactly and in real time;
 * - everything else: sensors registered as `public`, the same for every role.
 */
export type Audience = 'public' | 'crowd-exact'

export function publicSensors (registry: Registry, filter: { sensor?: string | undefined, kind?: string | undefined }, audience: Audience = 'public'): Sensor[] {
  if (filter.kind !== undefined) {
    const kind = registry.kinds.get(filter.kind)
    if (kind === undefined) throw new SensorstadError('REGISTRY_ERR_UNKNOWN_KIND', `No kind ${filter.kind}; see GET /v1/kinds`, 'kind')
    refuseHidden(kind, audience, 'kind')
  }
  const visible = (s: Sensor): boolean => {
    const kind = registry.kinds.get(s.kind)
    if (kind === undefined || kind.placement === 'mobile') return false
    if (kind.privacy.counts !== undefined) return audience === 'crowd-exact'
    return s.public
  }
  const ids = filter.sensor?.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (ids !== undefined && ids.length > 0) {
    return ids.map((id) => {
      const sensor = registry.getSensor(id)
      const kind = sensor === undefined ? undefined : registry.kinds.get(sensor.kind)
      if (kind !== undefined) refuseHidden(kind, audience, 'sensor')
      if (sensor === undefined || !visible(sensor)) throw new SensorstadError('REGISTRY_ERR_NOT_FOUND', `No public sensor ${id}; see GET /v1/sensors`, 'sensor')
      return sensor
    }).filter((s) => filter.kind === undefined || s.kind === filter.kind)
  }
  return registry.listSensors().filter((s) => visible(s) && (filter.kind === undefined || s.kind === filter.kind))
}

/** Points a user asking for hidden per-sensor data to where the same data is published. */
function refuseHidden (kind: KindDefinition, audience: Audience, field: string): void {
  if (kind.placement === 'mobile') {
    // Forbidden to every role (purpose limitation, rule 11): there is no per-device track to give.
    throw new SensorstadError('API_ERR_FORBIDDEN', `${kind.id} sensors are mobile: their data is published per grid cell and hour at /v1/grid?kind=${kind.id}, never per device`, field)
  }
  if (kind.privacy.counts !== undefined && audience !== 'crowd-exact') {
    throw new SensorstadError('API_ERR_VALIDATION', `${kind.id} counts are published per zone at /v1/crowd (small counts suppressed); exact counts need an enforcement token`, field)
  }
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
