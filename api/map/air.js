import { createMap, el, formatNumber, getJson } from '/dashboard/common.js'

/**
 * The public air map (/map/air): published bicycle grid cells from /v1/air/grid, coloured by
 * their mean PM2.5 on a Leaflet map and listed in a table, which is the full alternative to
 * the map (the map is aria-hidden). Shared helpers and Leaflet come from the dashboards'
 * files, so there is one copy of each; every text from the API goes in through textContent.
 */

/**
 * Levels of the European Air Quality Index for PM2.5 (EEA, 2017), µg/m³: a value below
 * `below` is in that class. The colours are the index's own, so the map reads like the EEA's.
 */
const PM25_CLASSES = [
  { below: 10, label: 'goed', fill: '#50f0e6' },
  { below: 20, label: 'redelijk', fill: '#50ccaa' },
  { below: 25, label: 'matig', fill: '#f0e641' },
  { below: 50, label: 'slecht', fill: '#ff5050' },
  { below: 75, label: 'zeer slecht', fill: '#960032' },
  { below: Infinity, label: 'extreem slecht', fill: '#7d2181' }
]

const $ = (id) => document.getElementById(id)

function classOf (value) {
  return PM25_CLASSES.find((c) => value < c.below) ?? PM25_CLASSES.at(-1)
}

const one = (value) => formatNumber(value, 1)

/** A coloured square beside a word; decorative, the word carries the class. */
function swatch (fill) {
  const node = el('span', undefined, 'swatch')
  node.setAttribute('aria-hidden', 'true')
  // CSSOM, not a style attribute: the page's CSP allows no inline styles.
  node.style.backgroundColor = fill
  return node
}

function renderLegend () {
  $('legend').replaceChildren(...PM25_CLASSES.map((c, i) => {
    const low = i === 0 ? 0 : PM25_CLASSES[i - 1].below
    const range = c.below === Infinity ? `${formatNumber(low)} of meer` : `${formatNumber(low)} tot ${formatNumber(c.below)}`
    const item = el('li')
    item.append(swatch(c.fill), `${range} µg/m³: ${c.label}`)
    return item
  }))
}

/** The middle of a cell polygon, for a reader who wants to find it on another map. */
function centre (feature) {
  const ring = feature.geometry.coordinates[0].slice(0, -1)
  const lon = ring.reduce((sum, p) => sum + p[0], 0) / ring.length
  const lat = ring.reduce((sum, p) => sum + p[1], 0) / ring.length
  return `${formatNumber(lat, 5)}° N, ${formatNumber(lon, 5)}° O`
}

function renderTable (features) {
  const sorted = [...features].sort((a, b) => b.properties.mean - a.properties.mean || (a.properties.cell < b.properties.cell ? -1 : 1))
  $('cells').tBodies[0].replaceChildren(...sorted.map((f) => {
    const p = f.properties
    const row = el('tr')
    const name = el('th', p.cell)
    name.scope = 'row'
    name.append(el('span', centre(f), 'sub'))
    const mean = el('td', `${one(p.mean)} · ${classOf(p.mean).label}`, 'number')
    mean.append(swatch(classOf(p.mean).fill))
    row.append(name, mean, el('td', one(p.min), 'number'), el('td', one(p.max), 'number'), el('td', formatNumber(p.count), 'number'), el('td', formatNumber(p.hours), 'number'))
    return row
  }))
  $('cells-empty').hidden = features.length > 0
  $('cells').hidden = features.length === 0
}

function renderMap (map, collection) {
  const L = window.L
  if (map === null || L === undefined || collection.features.length === 0) return
  const layer = L.geoJSON(collection, {
    interactive: false,
    style: (feature) => ({ color: '#1b1b1b', weight: 1, opacity: 0.8, fillColor: classOf(feature.properties.mean).fill, fillOpacity: 0.75 })
  }).addTo(map)
  map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 17 })
}

const dateTime = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' })

async function start () {
  renderLegend()
  try {
    const [config, collection] = await Promise.all([getJson('/dashboard/config.json'), getJson('/v1/air/grid?field=pm25')])
    const map = createMap($('map'), config.tileUrl)
    $('min-rides').textContent = formatNumber(collection.minRides)
    $('min-devices').textContent = formatNumber(collection.minDevices)
    renderTable(collection.features)
    renderMap(map, collection)
    const period = `van ${dateTime.format(new Date(collection.from))} tot ${dateTime.format(new Date(collection.to))}`
    const n = collection.features.length
    $('status').textContent = n === 0
      ? `Geen vakken met genoeg ritten ${period}.`
      : `${formatNumber(n)} ${n === 1 ? 'vak' : 'vakken'} met metingen ${period}.${collection.truncated ? ' Niet alle vakken passen in één antwoord; de kaart is onvolledig.' : ''}`
  } catch (err) {
    $('status').textContent = `De gegevens konden niet laden (${err.message}). Probeer het later opnieuw.`
  }
}

start()
