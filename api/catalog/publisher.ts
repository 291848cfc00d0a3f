/**
 * Who publishes the catalog and answers questions about it. DCAT-AP-NL 3.0 section 15.1 asks
 * for publishers from a Dutch list of government organisations (TOOI); the city's TOOI
 * identifier is its CBS municipality code (Utrecht: 0344). A second city changes this file.
 */
export const PUBLISHER = {
  iri: 'https://identifier.overheid.nl/tooi/id/gemeente/gm0344',
  name: 'Gemeente Utrecht',
  homepage: 'https://www.utrecht.nl/',
  /** ADMS publisher type (DCAT-AP 3.0 Agent, dct:type recommended). */
  type: 'http://purl.org/adms/publishertype/LocalAuthority'
} as const

/**
 * The contact point (vcard:Kind, 1..1 on Catalog, Dataset and DataService in DCAT-AP-NL 3.0):
 * "an e-mail address or a link to the contact form of the responsible organisation".
 */
export const CONTACT = {
  name: 'Gemeente Utrecht',
  url: 'https://www.utrecht.nl/contact/'
} as const

/** The catalog's own title and description (dct:title, dct:description: 1..n in DCAT-AP 3.0). */
export const CATALOG_TEXT = {
  title: {
    nl: 'Sensorstad: open sensordata van de gemeente Utrecht',
    en: 'Sensorstad: open sensor data of the city of Utrecht'
  },
  description: {
    nl: 'Metingen van sensoren in de openbare ruimte van Utrecht (drukte, luchtkwaliteit, afvalcontainers), gecontroleerd tegen het openbare sensorregister, zonder persoonsgegevens en vrij te gebruiken (CC0).',
    en: 'Readings of sensors in the public space of Utrecht (crowds, air quality, waste containers), checked against the public sensor register, free of personal data and free to use (CC0).'
  }
} as const
