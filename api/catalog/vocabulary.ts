/**
 * The vocabularies the catalog speaks (DCAT-AP-NL 3.0, Geonovum 2024): the namespaces of its
 * JSON-LD `@context` (also the Turtle prefixes) and the controlled values DCAT-AP-NL 3.0
 * section 15.1 ("Waardelijsten") says MUST be used: EU Vocabularies named authority lists for
 * themes, file types, access rights, frequency and languages, IANA for media types.
 */
export const PREFIXES = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  geosparql: 'http://www.opengis.net/ont/geosparql#',
  locn: 'http://www.w3.org/ns/locn#',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  xsd: 'http://www.w3.org/2001/XMLSchema#'
} as const

const EU = 'http://publications.europa.eu/resource/authority/'

/** Data themes (dcat:theme, 1..n on Dataset and DataService in DCAT-AP-NL 3.0). */
export const THEME = {
  ENVI: `${EU}data-theme/ENVI`,
  REGI: `${EU}data-theme/REGI`,
  SOCI: `${EU}data-theme/SOCI`,
  TRAN: `${EU}data-theme/TRAN`
} as const

/**
 * Themes by the FIWARE Smart Data Model a kind follows (DESIGN.md section 2): a kind is data,
 * so its theme follows from what it declares rather than from its id. Every dataset is also
 * REGI ("Regions and cities"): it is city data. A kind with a model not listed here gets REGI
 * alone, which is true of anything measured in the city's public space.
 */
export const THEMES_BY_DATA_MODEL: Readonly<Record<string, readonly string[]>> = {
  AirQualityObserved: [THEME.ENVI],
  // FIWARE files CrowdFlowObserved under Transportation; counting people in public space is also society.
  CrowdFlowObserved: [THEME.SOCI, THEME.TRAN],
  WasteContainer: [THEME.ENVI]
}

export const ACCESS_RIGHTS_PUBLIC = `${EU}access-right/PUBLIC`
/** Readings arrive as they are measured; aggregates are published as windows close. */
export const FREQUENCY_CONTINUOUS = `${EU}frequency/CONT`
export const LANGUAGE = { NLD: `${EU}language/NLD`, ENG: `${EU}language/ENG` } as const

/** dct:format from the EU file-type list and dcat:mediaType from the IANA register. */
export const FORMATS = {
  json: { fileType: `${EU}file-type/JSON`, mediaType: 'https://www.iana.org/assignments/media-types/application/json', label: 'JSON' },
  csv: { fileType: `${EU}file-type/CSV`, mediaType: 'https://www.iana.org/assignments/media-types/text/csv', label: 'CSV' },
  geojson: { fileType: `${EU}file-type/GEOJSON`, mediaType: 'https://www.iana.org/assignments/media-types/application/geo+json', label: 'GeoJSON' },
  parquet: { fileType: `${EU}file-type/PARQUET`, mediaType: 'https://www.iana.org/assignments/media-types/application/vnd.apache.parquet', label: 'Parquet' }
} as const
export type Format = keyof typeof FORMATS

/** All open data here is public domain: CC0 1.0, a dct:LicenseDocument of ADMS licence type PublicDomain. */
export const LICENCE_CC0 = 'http://creativecommons.org/publicdomain/zero/1.0/'
export const LICENCE_TYPE_PUBLIC_DOMAIN = 'http://purl.org/adms/licencetype/PublicDomain'

/** Standards the services conform to (dct:conformsTo). */
export const OPENAPI_3_1 = 'https://spec.openapis.org/oas/v3.1.0'
export const SENSORTHINGS_1_1 = 'http://www.opengis.net/doc/is/sensorthings/1.1'
