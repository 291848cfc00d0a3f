import type { FieldPrivacy, KindDefinition } from '../../core/kind.js'
import { formatDuration, formatList, formatNumber, formatWindow, type Lang } from './format.js'

/**
 * What the platform does to a kind's data, as sentences a resident can check against what
 * they see (privacy rule 12). Every sentence comes from the kind definition and carries its
 * numbers, so a city that tightens a rule in `registry/kinds/*.json` changes the page too, and
 * a rule that is not configured is not claimed. Dutch and English say the same thing.
 */
export type PrivacyRuleId =
  | 'identifiers'
  | 'location-fields'
  | 'internal-fields'
  | 'counts-k'
  | 'counts-window'
  | 'counts-lag'
  | 'rides-trim'
  | 'rides-gap'
  | 'rides-min-length'
  | 'grid-cell'
  | 'grid-min'

export type PrivacyRule = { id: PrivacyRuleId } & Record<Lang, string>

function fieldsOf (kind: Pick<KindDefinition, 'fields'>, privacy: FieldPrivacy): string[] {
  return Object.entries(kind.fields).filter(([, spec]) => spec.privacy === privacy).map(([name]) => name)
}

/** "1 rit", "5 ritten". */
function count (n: number, lang: Lang, one: string, many: string): string {
  return `${formatNumber(n, lang)} ${n === 1 ? one : many}`
}

function metres (m: number, lang: Lang): string {
  return `${formatNumber(m, lang)} m`
}

/** "200–500 m", or "300 m" when the range is one value. */
function metreRange (min: number, max: number, lang: Lang): string {
  return min === max ? metres(min, lang) : `${formatNumber(min, lang)}–${metres(max, lang)}`
}

export function privacyRules (kind: Pick<KindDefinition, 'fields' | 'privacy'>): PrivacyRule[] {
  const rules: PrivacyRule[] = []
  const { counts, rides, grid } = kind.privacy

  if (kind.privacy.refuseIdentifiers) {
    rules.push({
      id: 'identifiers',
      nl: 'Herkenbare gegevens zoals MAC-adressen, IMEI-nummers, e-mailadressen, telefoonnummers, kentekens, BSN\'s en IP-adressen worden geweigerd: een bericht waarin zoiets staat, wordt niet bewaard.',
      en: 'Identifying data such as MAC addresses, IMEI numbers, e-mail addresses, phone numbers, licence plates, citizen service numbers (BSN) and IP addresses are refused: a message that contains one is not kept.'
    })
  }

  const locations = fieldsOf(kind, 'location')
  if (locations.length > 0) {
    rules.push({
      id: 'location-fields',
      nl: `De plaatsgegevens (${formatList(locations, 'nl')}) worden nooit onbewerkt gepubliceerd.`,
      en: `The location fields (${formatList(locations, 'en')}) are never published as measured.`
    })
  }

  const internal = fieldsOf(kind, 'internal')
  if (internal.length > 0) {
    const one = internal.length === 1
    rules.push({
      id: 'internal-fields',
      nl: `${one ? 'Het veld' : 'De velden'} ${formatList(internal, 'nl')} ${one ? 'wordt' : 'worden'} alleen binnen het platform gebruikt en nooit als meetwaarde bewaard of gepubliceerd.`,
      en: `The ${one ? 'field' : 'fields'} ${formatList(internal, 'en')} ${one ? 'is' : 'are'} used only inside the platform and never stored as a value or published.`
    })
  }

  if (counts !== undefined) {
    rules.push({
      id: 'counts-k',
      nl: `Aantallen onder ${formatNumber(counts.k, 'nl')} worden niet gepubliceerd. Soms wordt ook een ander aantal weggelaten, zodat het verborgen aantal niet terug te rekenen is.`,
      en: `Counts below ${formatNumber(counts.k, 'en')} are not published. Sometimes another count is left out too, so the hidden one cannot be worked out.`
    }, {
      id: 'counts-window',
      nl: `Openbare aantallen gaan over perioden van minstens ${formatWindow(counts.minPublicWindow, 'nl')}; fijnere cijfers ziet alleen het handhavingsteam.`,
      en: `Public counts cover periods of at least ${formatWindow(counts.minPublicWindow, 'en')}; finer figures are for the enforcement team only.`
    })
    if (counts.publicLagS > 0) {
      rules.push({
        id: 'counts-lag',
        nl: `Openbare cijfers lopen ${formatDuration(counts.publicLagS, 'nl')} achter op wat het handhavingsteam ziet.`,
        en: `Public figures run ${formatDuration(counts.publicLagS, 'en')} behind what the enforcement team sees.`
      })
    }
  }

  if (rides !== undefined) {
    const range = (lang: Lang) => metreRange(rides.trimRadiusM.min, rides.trimRadiusM.max, lang)
    const random = rides.trimRadiusM.min !== rides.trimRadiusM.max
    // Seconds, not "1 minuut": "de eerste en laatste 60 seconden" reads better than "1 minuut".
    const time = (lang: Lang, words: string) => rides.trimS > 0 ? `, ${words} ${count(rides.trimS, lang, lang === 'nl' ? 'seconde' : 'second', lang === 'nl' ? 'seconden' : 'seconds')}` : ''
    rules.push({
      id: 'rides-trim',
      nl: `Ritten: punten binnen ${range('nl')} van begin en eind worden weggegooid${time('nl', 'en ook de punten uit de eerste en laatste')}.` +
        (random ? ' De afstand wordt per rit willekeurig gekozen, zodat begin- en eindpunt (vaak thuis of werk) niet terug te vinden zijn.' : ''),
      en: `Rides: points within ${range('en')} of the start and end are thrown away${time('en', 'and so are the points from the first and last')}.` +
        (random ? ' The distance is drawn at random for each ride, so the start and end (often home or work) cannot be found.' : '')
    }, {
      id: 'rides-gap',
      nl: `Een stilte van meer dan ${formatDuration(rides.gapS, 'nl')} beëindigt een rit; wat daarna komt, is een nieuwe rit met een eigen begin en eind.`,
      en: `A silence of more than ${formatDuration(rides.gapS, 'en')} ends a ride; what follows is a new ride with its own start and end.`
    }, {
      id: 'rides-min-length',
      nl: `Een rit die na het inkorten korter is dan ${metres(rides.minLengthM, 'nl')} of minder dan ${count(rides.minPoints, 'nl', 'punt', 'punten')} heeft, wordt helemaal weggegooid.`,
      en: `A ride that is shorter than ${metres(rides.minLengthM, 'en')} or has fewer than ${count(rides.minPoints, 'en', 'point', 'points')} after trimming is thrown away entirely.`
    })
  }

  if (grid !== undefined) {
    rules.push({
      id: 'grid-cell',
      nl: `Locaties worden afgerond op vakken van ${metres(grid.cellM, 'nl')} (Rijksdriehoekscoördinaten); een precieze route wordt niet gepubliceerd.`,
      en: `Locations are rounded to squares of ${metres(grid.cellM, 'en')} (Dutch national grid); an exact route is not published.`
    }, {
      id: 'grid-min',
      nl: `Een vak wordt per uur alleen gepubliceerd als er minstens ${count(grid.minRides, 'nl', 'rit', 'ritten')} van minstens ${count(grid.minDevices, 'nl', 'apparaat', 'verschillende apparaten')} doorheen gingen.`,
      en: `A square is published for an hour only when at least ${count(grid.minRides, 'en', 'ride', 'rides')} from at least ${count(grid.minDevices, 'en', 'device', 'different devices')} passed through it.`
    })
  }

  return rules
}
