import type { KindDefinition } from '../../core/kind.js'
import type { PublicSensor, Zone } from '../../core/sensor.js'
import { formatDays, formatNumber } from './format.js'
import { html, type SafeHtml } from './html.js'
import { layout } from './layout.js'

/**
 * `/sensors`: the whole public register as one table, narrowed by a plain GET form (works
 * without JavaScript; the filtered URL can be shared or bookmarked). A city has thousands of
 * sensors at most, so one table without paging stays a few hundred kilobytes.
 */
export interface SensorListView {
  /** Already filtered, in display order. */
  sensors: readonly PublicSensor[]
  /** Every sensor in the register, for "2 van de 5". */
  total: number
  kinds: readonly Pick<KindDefinition, 'id' | 'title'>[]
  zones: readonly Pick<Zone, 'id' | 'name'>[]
  selected: { kind: string | undefined, zone: string | undefined }
}

const STATUS = { active: 'Actief', suspended: 'Uitgeschakeld' } as const

function sensorsWord (n: number, lang: 'nl' | 'en'): string {
  return `${formatNumber(n, lang)} ${n === 1 ? 'sensor' : lang === 'nl' ? 'sensoren' : 'sensors'}`
}

function option (value: string, label: string, selected: string | undefined): SafeHtml {
  return html`<option value="${value}"${value === (selected ?? '') && html` selected`}>${label}</option>\n`
}

function jsonHref ({ kind, zone }: SensorListView['selected']): string {
  const query = new URLSearchParams()
  if (kind !== undefined) query.set('kind', kind)
  if (zone !== undefined) query.set('zone', zone)
  const qs = query.toString()
  return qs === '' ? '/v1/sensors' : `/v1/sensors?${qs}`
}

export function sensorListPage (view: SensorListView): string {
  const { sensors, total, selected } = view
  const filtered = selected.kind !== undefined || selected.zone !== undefined
  const kindTitle = new Map(view.kinds.map((k) => [k.id, k.title]))
  const countNl = filtered ? `${formatNumber(sensors.length, 'nl')} van de ${sensorsWord(total, 'nl')} in het register` : `${sensorsWord(total, 'nl')} in het register`
  const countEn = filtered ? `${formatNumber(sensors.length, 'en')} of the ${sensorsWord(total, 'en')} in the register` : `${sensorsWord(total, 'en')} in the register`
  const rows = sensors.map((s) => html`<tr>
<th scope="row"><a href="/s/${encodeURIComponent(s.id)}">${s.name}</a></th>
<td lang="en">${kindTitle.get(s.kind) ?? s.kind}</td>
<td>${s.owner}</td>
<td>${s.purpose}</td>
<td>${formatDays(s.retentionDays, 'nl')}</td>
<td>${STATUS[s.status]}</td>
</tr>
`)
  return layout({
    title: filtered ? `Sensoren (${countNl})` : 'Alle sensoren',
    body: html`<h1>Sensoren in de openbare ruimte van Utrecht</h1>
<p>Dit is het openbare register: elke sensor die gegevens naar het platform mag sturen, met wat hij meet, waarom, van wie hij is en hoe lang ruwe metingen bewaard blijven. Kies een naam voor alles over die sensor.</p>
<form method="get" action="/sensors">
<div><label for="kind">Soort sensor</label>
<select id="kind" name="kind">
${option('', 'Alle soorten', selected.kind)}${view.kinds.map((k) => option(k.id, k.title, selected.kind))}</select></div>
<div><label for="zone">Gebied</label>
<select id="zone" name="zone">
${option('', 'Alle gebieden', selected.zone)}${view.zones.map((z) => option(z.id, z.name, selected.zone))}</select></div>
<div><button type="submit">Toon sensoren</button></div>
</form>
<p id="aantal"><strong>${countNl}</strong>${filtered && html` (<a href="/sensors">toon alle sensoren</a>)`}</p>
${sensors.length === 0
  ? html`<p>Er zijn geen sensoren die bij deze keuze passen.</p>`
  : html`<div class="scroll" role="region" aria-labelledby="aantal" tabindex="0">
<table>
<caption>Sensoren in het register</caption>
<thead><tr><th scope="col">Naam</th><th scope="col">Soort</th><th scope="col">Eigenaar</th><th scope="col">Doel</th><th scope="col">Bewaartermijn ruwe metingen</th><th scope="col">Status</th></tr></thead>
<tbody>
${rows}</tbody>
</table>
</div>`}
<p><a href="${jsonHref(selected)}">Deze lijst als open data (JSON)</a></p>
<section class="en" lang="en" aria-labelledby="in-english">
<h2 id="in-english">In English</h2>
<p>This is the public register of the City of Utrecht: every sensor that may send data to the platform, with what it measures, why, who owns it and how long its raw readings are kept. The table above shows ${countEn}. Choose a sensor's name to read all about it, in Dutch and in English; the form above narrows the list by kind of sensor (<span lang="nl">Soort sensor</span>) and by area (<span lang="nl">Gebied</span>).</p>
<p><a href="${jsonHref(selected)}">This list as open data (JSON)</a></p>
</section>`
  })
}
