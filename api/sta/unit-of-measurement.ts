/**
 * A SensorThings `unitOfMeasurement` (OGC 18-088 section 8.2.4: name, symbol, definition) for
 * a SenML unit (RFC 8428 section 12.1), with the UCUM code (https://ucum.org) as symbol.
 * SenML's `%RH` and `%EL` are percentages of a named quantity: UCUM writes those as `%`
 * with an annotation in braces, which UCUM defines as carrying no meaning of its own.
 */
const UCUM = 'https://ucum.org/ucum'
const SENML = 'https://www.iana.org/assignments/senml/senml.xhtml'

const UNITS: Record<string, { name: string, symbol: string }> = {
  count: { name: 'count', symbol: '{count}' },
  '%': { name: 'percent', symbol: '%' },
  '%RH': { name: 'percent relative humidity', symbol: '%{RH}' },
  '%EL': { name: 'percent remaining battery energy', symbol: '%{EL}' },
  Cel: { name: 'degree Celsius', symbol: 'Cel' },
  'ug/m3': { name: 'microgram per cubic metre', symbol: 'ug/m3' }
}

export interface UnitOfMeasurement { name: string, symbol: string, definition: string }

export function unitOfMeasurement (senmlUnit: string): UnitOfMeasurement {
  const unit = UNITS[senmlUnit]
  return unit === undefined ? { name: senmlUnit, symbol: senmlUnit, definition: SENML } : { ...unit, definition: UCUM }
}

/** O&M 2.0 observation types (OGC 18-088 table 13): counts are integers, the rest measurements. */
export function observationType (senmlUnit: string): string {
  const type = senmlUnit === 'count' ? 'OM_CountObservation' : 'OM_Measurement'
  return `http://www.opengis.net/def/observationType/OGC-OM/2.0/${type}`
}
