/**
 * The entity sets this server offers (OGC 18-088 section 8.2), their properties and their
 * navigation properties. HistoricalLocations are left out: every Thing here is fixed (or the
 * bicycle grid, which has no location), so there is no history to give.
 */
export const ENTITY_SETS = ['Things', 'Locations', 'Sensors', 'ObservedProperties', 'Datastreams', 'Observations', 'FeaturesOfInterest'] as const
export type EntitySet = typeof ENTITY_SETS[number]

export interface Navigation { set: EntitySet, many: boolean }

export const PROPERTIES: Record<EntitySet, readonly string[]> = {
  Things: ['name', 'description', 'properties'],
  Locations: ['name', 'description', 'encodingType', 'location', 'properties'],
  Sensors: ['name', 'description', 'encodingType', 'metadata', 'properties'],
  ObservedProperties: ['name', 'definition', 'description', 'properties'],
  Datastreams: ['name', 'description', 'unitOfMeasurement', 'observationType', 'properties'],
  Observations: ['phenomenonTime', 'resultTime', 'result', 'parameters'],
  FeaturesOfInterest: ['name', 'description', 'encodingType', 'feature', 'properties']
}

export const NAVIGATION: Record<EntitySet, Readonly<Record<string, Navigation>>> = {
  Things: { Locations: { set: 'Locations', many: true }, Datastreams: { set: 'Datastreams', many: true } },
  Locations: { Things: { set: 'Things', many: true } },
  Sensors: { Datastreams: { set: 'Datastreams', many: true } },
  ObservedProperties: { Datastreams: { set: 'Datastreams', many: true } },
  Datastreams: {
    Thing: { set: 'Things', many: false },
    Sensor: { set: 'Sensors', many: false },
    ObservedProperty: { set: 'ObservedProperties', many: false },
    Observations: { set: 'Observations', many: true }
  },
  Observations: { Datastream: { set: 'Datastreams', many: false }, FeatureOfInterest: { set: 'FeaturesOfInterest', many: false } },
  FeaturesOfInterest: { Observations: { set: 'Observations', many: true } }
}

/** Where a Datastream's Observations come from; internal, never serialised. */
export type DatastreamSource =
  | { mode: 'readings', kind: string, field: string, sensorId: string }
  | { mode: 'zone', kind: string, field: string, zoneId: string }
  | { mode: 'grid', kind: string, field: string }

export interface Entity {
  set: EntitySet
  /** `@iot.id`: a stable string such as `wastebin:bin-1`. */
  id: string
  /** The published properties, already in their JSON form. */
  props: Record<string, unknown>
  /** Ids of related entities, per navigation property; Observations are looked up instead. */
  links: Partial<Record<string, string[]>>
  source?: DatastreamSource
}

export function isEntitySet (name: string): name is EntitySet {
  return (ENTITY_SETS as readonly string[]).includes(name)
}
