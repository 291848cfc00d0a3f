import type { KindDefinition } from '../../core/kind.js'
import type { PublicSensor, Zone } from '../../core/sensor.js'
import { formatDateTime, formatDays, formatDuration, formatNumber, unitLabel, type Lang } from './format.js'
import { html, raw, type SafeHtml } from './html.js'
import type { LastReported } from './last-reported.js'
import { layout } from './layout.js'
import { privacyRules } from './privacy-rules.js'

/**
 * The page behind the QR code on a device (`/s/:id`, privacy rule 12): what the sensor
 * measures, why, whose it is, what happens to its data and where the open data is. Dutch
 * first, then the same in English; text from the kind definitions is English and is marked
 * so (WCAG 3.1.2) wherever it appears in the Dutch part. Register text (name, purpose, ...) is
 * typed by the owner in a language we do not know, so it is left unmarked.
 */
export interface SensorPageView {
  /** The public allowlist of a register entry: nothing else can reach the page. */
  sensor: PublicSensor
  kind: KindDefinition
  zone: Pick<Zone, 'id' | 'name'> | undefined
  lastReported: LastReported
}

interface OpenDataLink { href: string, text: Record<Lang, string> }

const T = {
  nl: {
    lead: (kind: SafeHtml) => html`Deze sensor is een ${kind}. Hier leest u wat hij meet, waarom hij er is, van wie hij is en wat het platform met de gegevens doet.`,
    notPublic: 'De eigenaar publiceert de metingen van deze sensor niet als open data. De gegevens uit het register hieronder zijn wel openbaar.',
    why: 'Waarom deze sensor er is',
    register: 'Gegevens uit het register',
    id: 'Code van de sensor',
    owner: 'Eigenaar',
    contact: 'Contact',
    legalBasis: 'Wettelijke grondslag',
    dpia: 'DPIA (beoordeling van de privacyrisico\'s)',
    personalData: 'Persoonsgegevens',
    personalDataValue: 'Nee. De eigenaar heeft verklaard dat deze sensor geen persoonsgegevens verwerkt; anders mag hij niet op het platform.',
    retention: 'Bewaartermijn ruwe metingen',
    retentionValue: (days: number) => `${formatDays(days, 'nl')}. Daarna blijven alleen totalen en gemiddelden per periode bewaard.`,
    status: 'Status',
    statusValue: { active: 'Actief', suspended: 'Uitgeschakeld: deze sensor mag op dit moment geen gegevens sturen' },
    lastReported: 'Laatste melding',
    hidden: 'Wordt niet getoond. Deze sensor beweegt mee; het tijdstip zou laten zien wanneer iemand onderweg was.',
    never: 'Nog geen metingen ontvangen',
    unknown: 'Op dit moment niet bekend',
    recent: (s: number) => `In de afgelopen ${formatDuration(s, 'nl')}`,
    place: 'Plaats',
    mobilePlace: 'Geen vaste plaats: deze sensor beweegt mee, bijvoorbeeld op een fiets. Waar hij is of was, tonen we niet.',
    area: 'Gebied',
    areaLink: (name: string) => `alle sensoren in ${name}`,
    coordinates: (lat: number, lon: number) => `${formatNumber(lat, 'nl')}° noorderbreedte, ${formatNumber(lon, 'nl')}° oosterlengte`,
    map: 'Bekijk deze plek op OpenStreetMap',
    measures: 'Wat deze sensor meet',
    fieldsCaption: 'Meetwaarden van deze sensor',
    field: 'Meetwaarde',
    unit: 'Eenheid',
    description: 'Omschrijving',
    published: 'Openbaar?',
    yes: 'Ja',
    notPublicField: 'Nee, deze sensor is niet openbaar',
    neverLocation: 'Nooit gepubliceerd (plaats)',
    neverInternal: 'Nooit gepubliceerd (alleen intern)',
    rules: 'Wat het platform met de gegevens doet',
    rulesIntro: 'Het platform neemt alleen de meetwaarden hierboven aan. Een bericht met iets anders wordt geweigerd en niet bewaard, en de sensor krijgt te horen waarom. Verder geldt voor deze soort sensor:',
    openData: 'Open data',
    openDataIntro: 'Iedereen mag deze gegevens gebruiken. Voor ontwikkelaars:',
    docs: 'API-documentatie (Engels)'
  },
  en: {
    lead: (kind: SafeHtml) => html`This sensor is a ${kind}. This page says what it measures, why it is there, who owns it and what the platform does with its data.`,
    notPublic: 'The owner does not publish this sensor\'s readings as open data. Its register entry below is public.',
    why: 'Why this sensor is here',
    register: 'Register entry',
    id: 'Sensor code',
    owner: 'Owner',
    contact: 'Contact',
    legalBasis: 'Legal basis',
    dpia: 'DPIA (data protection impact assessment)',
    personalData: 'Personal data',
    personalDataValue: 'None. The owner has declared that this sensor processes no personal data; otherwise it may not use the platform.',
    retention: 'Raw readings kept for',
    retentionValue: (days: number) => `${formatDays(days, 'en')}. After that only totals and averages per period are kept.`,
    status: 'Status',
    statusValue: { active: 'Active', suspended: 'Suspended: this sensor may not send data at the moment' },
    lastReported: 'Last report',
    hidden: 'Not shown. This sensor moves around; the time would show when someone was out.',
    never: 'No readings received yet',
    unknown: 'Not known at the moment',
    recent: (s: number) => `Within the last ${formatDuration(s, 'en')}`,
    place: 'Place',
    mobilePlace: 'No fixed place: this sensor moves around, for example on a bicycle. We do not show where it is or was.',
    area: 'Area',
    areaLink: (name: string) => `all sensors in ${name}`,
    coordinates: (lat: number, lon: number) => `latitude ${formatNumber(lat, 'en')}°, longitude ${formatNumber(lon, 'en')}°`,
    map: 'See this place on OpenStreetMap',
    measures: 'What this sensor measures',
    fieldsCaption: 'Values this sensor measures',
    field: 'Value',
    unit: 'Unit',
    description: 'Description',
    published: 'Public?',
    yes: 'Yes',
    notPublicField: 'No, this sensor is not public',
    neverLocation: 'Never published (location)',
    neverInternal: 'Never published (internal only)',
    rules: 'What the platform does with the data',
    rulesIntro: 'The platform accepts only the values above. A message with anything else is refused and not kept, and the sensor is told why. For this kind of sensor, also:',
    openData: 'Open data',
    openDataIntro: 'Anyone may use this data. For developers:',
    docs: 'API documentation'
  }
} satisfies Record<Lang, unknown>

/** Only addresses we can link safely: mailto for an e-mail address, http(s) URLs; else text. */
function contactHtml (contact: string): SafeHtml {
  if (/^[^\s@<>"]+@[^\s@<>"]+\.[A-Za-z]{2,}$/.test(contact)) return html`<a href="mailto:${contact}">${contact}</a>`
  if (/^https?:\/\//i.test(contact) && URL.canParse(contact)) return html`<a href="${contact}">${contact}</a>`
  return html`${contact}`
}

function heading (level: 2 | 3, text: string): SafeHtml {
  return html`${raw(`<h${level}>`)}${text}${raw(`</h${level}>`)}`
}

function openDataLinks ({ sensor, kind, zone }: SensorPageView): OpenDataLink[] {
  const id = encodeURIComponent(sensor.id)
  const links: OpenDataLink[] = [{
    href: `/v1/sensors/${id}`,
    text: { nl: 'Gegevens van deze sensor uit het register (JSON)', en: 'This sensor\'s register entry (JSON)' }
  }]
  if (!sensor.public) return links
  if (kind.placement === 'mobile') {
    // Per-device series of a moving sensor are not what residents should be pointed at;
    // the kind describes the coarse grid its readings end up in.
    links.push({
      href: `/v1/kinds/${encodeURIComponent(kind.id)}`,
      text: { nl: 'Hoe de kaartgegevens van deze soort sensor zijn opgebouwd: meetwaarden, vakken en regels (JSON)', en: 'How the map data of this kind of sensor is built: values, grid squares and rules (JSON)' }
    })
  } else if (kind.privacy.counts !== undefined) {
    // Counts of people are published per zone, small counts suppressed and lagged (/v1/crowd);
    // residents are pointed there, not at one device's series.
    if (zone !== undefined) {
      links.push({
        href: `/v1/crowd?zone=${encodeURIComponent(zone.id)}`,
        text: { nl: `Drukte in ${zone.name}: de openbare aantallen (JSON)`, en: `Crowd levels in ${zone.name}: the public counts (JSON)` }
      })
    }
  } else {
    links.push({
      href: `/v1/latest?sensor=${id}`,
      text: { nl: 'Laatste meetwaarden van deze sensor (JSON)', en: 'Latest values of this sensor (JSON)' }
    }, {
      href: `/v1/observations?sensor=${id}`,
      text: { nl: 'Metingen van deze sensor over de afgelopen 24 uur (JSON)', en: 'Readings of this sensor over the last 24 hours (JSON)' }
    }, {
      href: `/v1/observations?sensor=${id}&format=csv`,
      text: { nl: 'Dezelfde metingen als CSV-bestand, voor een spreadsheet', en: 'The same readings as a CSV file, for a spreadsheet' }
    })
  }
  return links
}

function lastReportedHtml (last: LastReported, lang: Lang): SafeHtml {
  const t = T[lang]
  switch (last.state) {
    case 'hidden': return html`${t.hidden}`
    case 'never': return html`${t.never}`
    case 'unknown': return html`${t.unknown}`
    case 'recent': return html`${t.recent(last.withinS)}`
    case 'at': return html`<time datetime="${new Date(last.time).toISOString()}">${formatDateTime(last.time, lang)}</time>`
  }
}

function placeRows ({ sensor, kind, zone }: SensorPageView, lang: Lang): SafeHtml {
  const t = T[lang]
  // A moving sensor gets no place at all, not even its registered zone.
  if (kind.placement === 'mobile') return html`<dt>${t.place}</dt><dd>${t.mobilePlace}</dd>`
  const area = sensor.zoneId === undefined
    ? undefined
    : html`<dt>${t.area}</dt><dd>${zone?.name ?? sensor.zoneId} (<a href="/sensors?zone=${encodeURIComponent(sensor.zoneId)}">${t.areaLink(zone?.name ?? sensor.zoneId)}</a>)</dd>`
  let place: SafeHtml | undefined
  if (sensor.location !== undefined) {
    const { lat, lon } = sensor.location
    const map = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=18/${lat}/${lon}`
    place = html`<dt>${t.place}</dt><dd>${t.coordinates(lat, lon)} (<a href="${map}">${t.map}</a>)</dd>`
  }
  return html`${area}${place}`
}

function fieldRows ({ sensor, kind }: SensorPageView, lang: Lang): SafeHtml[] {
  const t = T[lang]
  return Object.entries(kind.fields).map(([name, spec]) => {
    const published = spec.privacy === 'location'
      ? html`<span class="never">${t.neverLocation}</span>`
      : spec.privacy === 'internal'
        ? html`<span class="never">${t.neverInternal}</span>`
        : html`${sensor.public ? t.yes : t.notPublicField}`
    return html`<tr><th scope="row"><code>${name}</code></th><td>${unitLabel(spec.unit, lang)}</td><td${raw(lang === 'en' ? '' : ' lang="en"')}>${spec.description}</td><td>${published}</td></tr>`
  })
}

/** The body of one language; `level` is the heading level of its sections (2 in Dutch, 3 under "In English"). */
function sections (view: SensorPageView, lang: Lang, level: 2 | 3): SafeHtml {
  const t = T[lang]
  const { sensor, kind } = view
  const en = raw(lang === 'en' ? '' : ' lang="en"')
  return html`
<p>${t.lead(lang === 'en' ? html`${kind.title}` : html`<span lang="en">${kind.title}</span>`)}</p>
${!sensor.public && html`<p class="notice">${t.notPublic}</p>`}
${heading(level, t.why)}
<p>${sensor.purpose}</p>
${heading(level, t.register)}
<dl>
<dt>${t.id}</dt><dd><code>${sensor.id}</code></dd>
<dt>${t.owner}</dt><dd>${sensor.owner}</dd>
${sensor.contact !== undefined && sensor.contact !== '' && html`<dt>${t.contact}</dt><dd>${contactHtml(sensor.contact)}</dd>`}
<dt>${t.legalBasis}</dt><dd>${sensor.legalBasis}</dd>
<dt>${t.dpia}</dt><dd>${sensor.dpiaRef}</dd>
<dt>${t.personalData}</dt><dd>${t.personalDataValue}</dd>
<dt>${t.retention}</dt><dd>${t.retentionValue(sensor.retentionDays)}</dd>
<dt>${t.status}</dt><dd>${t.statusValue[sensor.status]}</dd>
<dt>${t.lastReported}</dt><dd>${lastReportedHtml(view.lastReported, lang)}</dd>
${placeRows(view, lang)}
</dl>
${heading(level, t.measures)}
<p${en}>${kind.description}</p>
<div class="scroll" role="region" aria-label="${t.fieldsCaption}" tabindex="0">
<table>
<caption>${t.fieldsCaption}</caption>
<thead><tr><th scope="col">${t.field}</th><th scope="col">${t.unit}</th><th scope="col">${t.description}</th><th scope="col">${t.published}</th></tr></thead>
<tbody>
${fieldRows(view, lang)}
</tbody>
</table>
</div>
${heading(level, t.rules)}
<p>${t.rulesIntro}</p>
<ul>
${privacyRules(kind).map((rule) => html`<li>${rule[lang]}</li>\n`)}
</ul>
${heading(level, t.openData)}
<ul>
${openDataLinks(view).map((link) => html`<li><a href="${link.href}">${link.text[lang]}</a></li>\n`)}
</ul>
<p>${t.openDataIntro} <a href="/docs" hreflang="en">${t.docs}</a></p>`
}

export function sensorPage (view: SensorPageView): string {
  return layout({
    title: view.sensor.name,
    body: html`<h1>${view.sensor.name}</h1>
${sections(view, 'nl', 2)}
<section class="en" lang="en" aria-labelledby="in-english">
<h2 id="in-english">In English</h2>
${sections(view, 'en', 3)}
</section>`
  })
}

export function sensorNotFoundPage (id: string): string {
  return layout({
    title: 'Sensor niet gevonden',
    body: html`<h1>Sensor niet gevonden</h1>
<p>Er staat geen sensor met de code <code>${id}</code> in het register. Misschien is de code verkeerd overgenomen, of is de sensor uit het register gehaald.</p>
<p><a href="/sensors">Bekijk alle sensoren in het register</a></p>
<section class="en" lang="en" aria-labelledby="in-english">
<h2 id="in-english">Sensor not found</h2>
<p>There is no sensor with the code <code>${id}</code> in the register. The code may have been copied wrongly, or the sensor may have been removed from the register.</p>
<p><a href="/sensors">See all sensors in the register</a></p>
</section>`
  })
}
