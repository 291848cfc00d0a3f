import { cellFromId, cellPolygonWgs84 } from '../../core/grid.js'
import { countsPrivacySchema, type KindDefinition } from '../../core/kind.js'
import type { Sensor } from '../../core/sensor.js'
import type { Registry } from '../../registry/registry.js'
import type { Entity, EntitySet } from './entity-sets.js'
import { observationType, unitOfMeasurement } from './unit-of-measurement.js'

/**
 * Every SensorThings entity except Observations, generated from the register on each request
 * (a few thousand rows). The privacy rules decide the shape (api/open-data.ts):
 * - a fixed kind without a counts policy (waste bins): one Thing per public sensor;
 * - a kind with a counts policy (crowd): one Thing per zone, never per monitor, whose
 *   Datastream carries the zone's public, suppressed 15-minute counts;
 * - a mobile kind with a grid policy (snuffelfiets): one Thing for the whole kind, whose
 *   Datastreams carry cell x hour means; no device appears anywhere.
 */

/** CBS municipality code of Utrecht, the `codegemeente` Samen Meten clients filter on. */
export const CODE_GEMEENTE = '344'
const GEOJSON = 'application/geo+json'

export type Catalogue = Record<Exclude<EntitySet, 'Observations'>, Map<string, Entity>>

export function buildCatalogue (registry: Registry, baseUrl: string): Catalogue {
  const cat: Catalogue = { Things: new Map(), Locations: new Map(), Sensors: new Map(), ObservedProperties: new Map(), Datastreams: new Map(), FeaturesOfInterest: new Map() }
  const sensors = registry.listSensors()
  const kinds = [...registry.kinds.values()].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  for (const kind of kinds) {
    const ofKind = sensors.filter((s) => s.kind === kind.id)
    if (kind.placement === 'mobile') {
      if (kind.privacy.grid !== undefined && ofKind.length > 0) addGridThing(cat, kind, ofKind)
    } else if (kind.privacy.counts !== undefined) {
      addZoneThings(cat, registry, kind, ofKind.filter((s) => s.public && s.zoneId !== undefined))
    } else {
      for (const sensor of ofKind.filter((s) => s.public)) addSensorThing(cat, kind, sensor)
    }
  }
  for (const ds of cat.Datastreams.values()) {
    const kind = registry.kinds.get(ds.source!.kind)!
    const sensorId = kind.id
    if (!cat.Sensors.has(sensorId)) {
      cat.Sensors.set(sensorId, {
        set: 'Sensors',
        id: sensorId,
        props: { name: kind.title, description: kind.description, encodingType: 'application/json', metadata: `${baseUrl}/v1/kinds/${kind.id}`, properties: { dataModel: kind.dataModel } },
        links: { Datastreams: [] }
      })
    }
    cat.Sensors.get(sensorId)!.links.Datastreams!.push(ds.id)
    ds.links.Sensor = [sensorId]
    const field = ds.source!.field
    const opId = `${kind.id}:${field}`
    if (!cat.ObservedProperties.has(opId)) {
      const spec = kind.fields[field]!
      cat.ObservedProperties.set(opId, {
        set: 'ObservedProperties',
        id: opId,
        props: { name: field, definition: `${baseUrl}/v1/kinds/${kind.id}#${field}`, description: spec.description, properties: { unit: spec.unit, dataModel: kind.dataModel } },
        links: { Datastreams: [] }
      })
    }
    cat.ObservedProperties.get(opId)!.links.Datastreams!.push(ds.id)
    ds.links.ObservedProperty = [opId]
  }
  return cat
}

function openFields (kind: KindDefinition): string[] {
  return Object.entries(kind.fields).filter(([, spec]) => spec.privacy === 'open').map(([name]) => name)
}

/** Register facts a resident may read about every sensor (the register is public anyway). */
function registerFacts (kind: KindDefinition, sensors: readonly Sensor[]): Record<string, unknown> {
  const distinct = (pick: (s: Sensor) => string) => [...new Set(sensors.map(pick))].sort().join('; ')
  return {
    codegemeente: CODE_GEMEENTE,
    project: kind.id,
    owner: distinct((s) => s.owner),
    purpose: distinct((s) => s.purpose),
    legalBasis: distinct((s) => s.legalBasis),
    retentionDays: Math.max(...sensors.map((s) => s.retentionDays))
  }
}

function addDatastreams (cat: Catalogue, thing: Entity, kind: KindDefinition, fields: readonly string[], source: (field: string) => Entity['source'], featureId: string | undefined, extra: Record<string, unknown>): void {
  thing.links.Datastreams = []
  for (const field of fields) {
    const spec = kind.fields[field]!
    const id = `${thing.id}:${field}`
    cat.Datastreams.set(id, {
      set: 'Datastreams',
      id,
      props: {
        name: `${String(thing.props.name)}: ${field}`,
        description: spec.description,
        unitOfMeasurement: unitOfMeasurement(spec.unit),
        observationType: observationType(spec.unit),
        properties: { field, ...extra }
      },
      links: { Thing: [thing.id], ...(featureId !== undefined ? { FeatureOfInterest: [featureId] } : {}) },
      source: source(field)
    })
    thing.links.Datastreams.push(id)
    if (featureId !== undefined) cat.FeaturesOfInterest.get(featureId)?.links.Datastreams?.push(id)
  }
}

/** A Location and a FeatureOfInterest with the same id and geometry. */
function addPlace (cat: Catalogue, id: string, name: string, description: string, geometry: Record<string, unknown>, thingId: string): void {
  const location = cat.Locations.get(id)
  if (location !== undefined) {
    location.links.Things!.push(thingId)
  } else {
    cat.Locations.set(id, { set: 'Locations', id, props: { name, description, encodingType: GEOJSON, location: geometry }, links: { Things: [thingId] } })
  }
  if (!cat.FeaturesOfInterest.has(id)) {
    // `Datastreams` is not a navigation property of a FeatureOfInterest: it tells the
    // Observations lookup where to read (never serialised).
    cat.FeaturesOfInterest.set(id, { set: 'FeaturesOfInterest', id, props: { name, description, encodingType: GEOJSON, feature: geometry }, links: { Datastreams: [] } })
  }
}

function addSensorThing (cat: Catalogue, kind: KindDefinition, sensor: Sensor): void {
  const id = `${kind.id}:${sensor.id}`
  const thing: Entity = {
    set: 'Things',
    id,
    props: { name: sensor.name, description: `${kind.title}: ${sensor.purpose}`, properties: { ...registerFacts(kind, [sensor]), sensorId: sensor.id, status: sensor.status, dpiaRef: sensor.dpiaRef } },
    links: { Locations: [] }
  }
  cat.Things.set(id, thing)
  if (sensor.location !== undefined) {
    addPlace(cat, id, sensor.name, `Where ${sensor.name} stands (from the register)`, { type: 'Point', coordinates: [sensor.location.lon, sensor.location.lat] }, id)
    thing.links.Locations = [id]
  }
  addDatastreams(cat, thing, kind, openFields(kind), (field) => ({ mode: 'readings', kind: kind.id, field, sensorId: sensor.id }), sensor.location === undefined ? undefined : id, { resultType: 'raw readings' })
}

function addZoneThings (cat: Catalogue, registry: Registry, kind: KindDefinition, monitors: readonly Sensor[]): void {
  const policy = kind.privacy.counts ?? countsPrivacySchema.parse({ field: 'peopleCount' })
  for (const zone of registry.listZones()) {
    const inZone = monitors.filter((s) => s.zoneId === zone.id)
    if (inZone.length === 0) continue
    const id = `${kind.id}:${zone.id}`
    const placeId = `zone:${zone.id}`
    const thing: Entity = {
      set: 'Things',
      id,
      props: {
        name: zone.name,
        description: `${kind.title}: people in zone ${zone.name}, per ${policy.minPublicWindow}, counts under ${policy.k} withheld, ${policy.publicLagS} s behind real time`,
        properties: { ...registerFacts(kind, inZone), zoneId: zone.id, areaM2: zone.areaM2, k: policy.k, publicWindow: policy.minPublicWindow, lagSeconds: policy.publicLagS }
      },
      links: { Locations: [placeId] }
    }
    cat.Things.set(id, thing)
    addPlace(cat, placeId, zone.name, `Zone ${zone.name}`, zone.geometry, id)
    // Only the count is published per zone; any other field of a counts kind exists per monitor only.
    const fields = kind.fields[policy.field]?.privacy === 'open' ? [policy.field] : []
    addDatastreams(cat, thing, kind, fields, (field) => ({ mode: 'zone', kind: kind.id, field, zoneId: zone.id }), placeId, { window: policy.minPublicWindow, aggregation: 'people in the zone: sum over its monitors of each one\'s mean, rounded; counts under k withheld' })
  }
}

function addGridThing (cat: Catalogue, kind: KindDefinition, sensors: readonly Sensor[]): void {
  const grid = kind.privacy.grid!
  const id = `${kind.id}:grid`
  const thing: Entity = {
    set: 'Things',
    id,
    props: {
      name: `${kind.title}: grid`,
      description: `${kind.title}, per ${grid.cellM} m cell of the Dutch grid (RD New) and hour, published where at least ${grid.minRides} rides of ${grid.minDevices} devices contributed; never per device`,
      properties: { ...registerFacts(kind, sensors), cellM: grid.cellM, minRides: grid.minRides, minDevices: grid.minDevices }
    },
    links: { Locations: [] }
  }
  cat.Things.set(id, thing)
  addDatastreams(cat, thing, kind, openFields(kind), (field) => ({ mode: 'grid', kind: kind.id, field }), undefined, { window: '1h', aggregation: 'mean per grid cell and hour' })
}

/** The FeatureOfInterest of a grid cell (a public square of the national grid); undefined for other ids. */
export function cellFeature (cat: Catalogue, cellId: string): Entity | undefined {
  const cell = cellFromId(cellId)
  if (cell === undefined) return undefined
  const gridStreams = [...cat.Datastreams.values()].filter((ds) => ds.source?.mode === 'grid').map((ds) => ds.id)
  if (gridStreams.length === 0) return undefined
  return {
    set: 'FeaturesOfInterest',
    id: cell.id,
    props: {
      name: cell.id,
      description: `${cell.cellM} m cell of the Dutch national grid (RD New), lower-left corner at x ${cell.x - cell.cellM / 2} m, y ${cell.y - cell.cellM / 2} m`,
      encodingType: GEOJSON,
      feature: { type: 'Polygon', coordinates: [cellPolygonWgs84(cell)] }
    },
    links: { Datastreams: gridStreams }
  }
}
