import { createMap, el, formatNumber, getJson, icon, isAuthError, timeElement, formatTime, tokenGate } from './common.js'

/**
 * The operations dashboard (issue item 8): every waste bin's latest filling level on a map
 * and in a table, and today's collection round from /v1/collection in route order. The
 * register and the levels are open data; only the round needs the operations token.
 */

/** Bins report about hourly; a minute keeps the page current without load worth mentioning. */
const REFRESH_MS = 60_000

const state = { token: undefined, map: undefined, layer: undefined, timer: undefined, fitted: false }
const $ = (id) => document.getElementById(id)

/** Full from the round's threshold; half-full from 50 %: a word, a shape and a colour each. */
function fillClass (level, threshold) {
  if (level === undefined) return { label: 'geen meting', css: 'unknown', shape: 'circle', fill: '#6b7280' }
  if (level >= threshold) return { label: 'vol', css: 'critical', shape: 'octagon', fill: '#a3001b' }
  if (level >= 50) return { label: 'halfvol', css: 'busy', shape: 'triangle', fill: '#f2b705' }
  return { label: 'ruimte', css: 'normal', shape: 'circle', fill: '#2e7d32' }
}

const percent = (level) => `${formatNumber(level)}%`

function fillBadge (level, threshold) {
  const info = fillClass(level, threshold)
  const badge = el('span', undefined, `level level-${info.css}`)
  badge.append(icon(info.shape), level === undefined ? info.label : `${percent(level)} · ${info.label}`)
  return badge
}

function distance (metres) {
  return metres >= 1000 ? `${formatNumber(metres / 1000, 1)} km` : `${formatNumber(metres)} m`
}

function reasonCell (bin) {
  const cell = el('td')
  if (bin.reason === 'full') {
    cell.append('Vol')
    if (bin.fullAt !== null) {
      const since = el('span', 'sinds ', 'sub')
      since.append(timeElement(bin.fullAt))
      cell.append(since)
    }
  } else {
    cell.append('Verwacht vol')
    if (bin.fullAt !== null) {
      const when = el('span', 'rond ', 'sub')
      when.append(timeElement(bin.fullAt))
      cell.append(when)
    }
  }
  return cell
}

function renderRoute (collection) {
  const rows = collection.bins.map((bin) => {
    const row = el('tr')
    const name = el('th', bin.name)
    name.scope = 'row'
    name.append(el('span', bin.id, 'sub'))
    const level = el('td', undefined, 'number')
    level.append(fillBadge(bin.fillingLevel, collection.threshold))
    row.append(el('td', String(bin.order), 'number'), name, level, reasonCell(bin), el('td', distance(bin.distanceFromPreviousM), 'number'))
    return row
  })
  $('route').tBodies[0].replaceChildren(...rows)
  $('route-empty').hidden = rows.length > 0
  $('route').hidden = rows.length === 0
  const hours = formatNumber(collection.horizonHours, 1)
  $('route-summary').textContent = rows.length === 0
    ? `Geen bak is ${percent(collection.threshold)} of voller, en geen bak wordt dat naar verwachting binnen ${hours} uur.`
    : `${rows.length} ${rows.length === 1 ? 'bak' : 'bakken'}: vol (${percent(collection.threshold)} of meer) of naar verwachting vol binnen ${hours} uur. Totale afstand ${distance(collection.totalDistanceM)} in rechte lijnen vanaf het depot.`
}

function renderBins (bins, levels, collection) {
  const order = new Map(collection.bins.map((b) => [b.id, b.order]))
  const sorted = [...bins].sort((a, b) => (levels.get(b.id)?.value ?? -1) - (levels.get(a.id)?.value ?? -1) || a.name.localeCompare(b.name, 'nl'))
  $('bins').tBodies[0].replaceChildren(...sorted.map((bin) => {
    const row = el('tr')
    const name = el('th', bin.name)
    name.scope = 'row'
    name.append(el('span', bin.location === undefined ? `${bin.id}, zonder plaats in het register` : bin.id, 'sub'))
    const latest = levels.get(bin.id)
    const level = el('td', undefined, 'number')
    level.append(fillBadge(latest?.value, collection.threshold))
    const time = el('td')
    if (latest === undefined) time.append('–')
    else time.append(timeElement(latest.time))
    row.append(name, level, time, el('td', order.has(bin.id) ? `Ja, nr. ${order.get(bin.id)}` : 'Nee'))
    return row
  }))
  $('bins-empty').hidden = bins.length > 0
}

function renderMap (bins, levels, collection) {
  const L = window.L
  if (!state.map || L === undefined) return
  state.layer?.remove()
  state.layer = L.layerGroup()
  const order = new Map(collection.bins.map((b) => [b.id, b.order]))
  const depot = [collection.depot.lat, collection.depot.lon]
  const route = [depot, ...collection.bins.map((b) => [b.location.lat, b.location.lon])]
  if (route.length > 1) L.polyline(route, { color: '#0a4f8f', weight: 3, dashArray: '8 6', interactive: false }).addTo(state.layer)
  // Not focusable: the map is aria-hidden and the tables carry the same (see common.js).
  L.marker(depot, { icon: L.divIcon({ className: 'depot-icon', iconSize: [16, 16] }), keyboard: false, interactive: false })
    .bindTooltip('Depot', { permanent: true, direction: 'right', offset: [8, 0], className: 'map-label' })
    .addTo(state.layer)
  const points = [depot]
  for (const bin of bins) {
    if (bin.location === undefined) continue
    const level = levels.get(bin.id)?.value
    const info = fillClass(level, collection.threshold)
    const at = [bin.location.lat, bin.location.lon]
    points.push(at)
    const label = `${order.has(bin.id) ? `${order.get(bin.id)}. ` : ''}${level === undefined ? info.label : percent(level)}`
    L.circleMarker(at, { radius: 9, color: '#1b1b1b', weight: 2, fillColor: info.fill, fillOpacity: 0.9, interactive: false })
      .bindTooltip(label, { permanent: true, direction: 'top', offset: [0, -8], className: 'map-label' })
      .addTo(state.layer)
  }
  state.layer.addTo(state.map)
  if (!state.fitted) {
    state.map.fitBounds(points, { padding: [40, 40], maxZoom: 17 })
    state.fitted = true
  }
}

async function load (token) {
  const [collection, register, latest] = await Promise.all([
    getJson('/v1/collection', token),
    getJson('/v1/sensors?kind=wastebin'),
    getJson('/v1/latest?kind=wastebin')
  ])
  const levels = new Map(latest.data.filter((r) => r.field === 'fillingLevel').map((r) => [r.sensorId, r]))
  renderRoute(collection)
  renderBins(register.data, levels, collection)
  renderMap(register.data, levels, collection)
  $('updated').textContent = `Bijgewerkt om ${formatTime(new Date().toISOString())}.`
}

async function refresh () {
  try {
    await load(state.token)
  } catch (err) {
    if (isAuthError(err)) return gate.fail(err)
    $('updated').textContent = `Bijwerken is niet gelukt (${err.message}); de gegevens hieronder zijn van eerder.`
  }
}

async function start (token) {
  const config = await getJson('/dashboard/config.json')
  // Shown before the map is made, so Leaflet measures its real size.
  $('dashboard').hidden = false
  if (state.map === undefined) state.map = createMap($('map'), config.tileUrl)
  try {
    await load(token)
  } catch (err) {
    $('dashboard').hidden = true
    throw err
  }
  state.token = token
  state.timer = setInterval(refresh, REFRESH_MS)
}

function stop () {
  clearInterval(state.timer)
  state.token = undefined
}

$('refresh').addEventListener('click', refresh)
const gate = tokenGate({ storageKey: 'sensorstad.dashboard.bins.token', roleName: 'afvalinzameling (operations)', start, stop })
