import { createMap, el, formatNumber, getJson, HttpError, icon, isAuthError, requestJson, timeElement, formatTime, tokenGate } from './common.js'
import { openEventStream } from './sse.js'

/**
 * The enforcement dashboard (issue item 5): every zone's level, count, density and trend,
 * silent monitors, and the alert events with acknowledgement, kept live by the alert stream.
 * The zone table is the full alternative to the map; new alerts are read out by an
 * assertive live region, because an officer may be looking elsewhere.
 */

const LEVELS = {
  normal: { label: 'Normaal', shape: 'circle', rank: 0, fill: '#2e7d32' },
  busy: { label: 'Druk', shape: 'triangle', rank: 1, fill: '#f2b705' },
  crowded: { label: 'Zeer druk', shape: 'square', rank: 2, fill: '#e8590c' },
  critical: { label: 'Kritiek', shape: 'octagon', rank: 3, fill: '#a3001b' }
}
const TRENDS = {
  rising: { label: 'Stijgend', arrow: '↑' },
  falling: { label: 'Dalend', arrow: '↓' },
  steady: { label: 'Gelijk', arrow: '→' }
}
/** Older events stay on the server (GET /v1/alerts?since=); a long shift must not grow the page without end. */
const MAX_EVENTS = 200

const state = {
  token: undefined,
  stream: undefined,
  map: undefined,
  zoneLayer: undefined,
  /** zoneId -> Zone from /v1/zones (geometry, name). */
  zones: new Map(),
  /** ZoneAlertState[], as the server sorted them (most severe first). */
  states: [],
  /** id -> AlertEvent */
  events: new Map()
}

const $ = (id) => document.getElementById(id)

function levelBadge (level) {
  const info = LEVELS[level]
  const badge = el('span', undefined, `level level-${info === undefined ? 'unknown' : level}`)
  badge.append(icon(info?.shape ?? 'circle'), info?.label ?? level)
  return badge
}

function zoneName (zoneId) {
  return state.states.find((s) => s.zoneId === zoneId)?.name ?? state.zones.get(zoneId)?.name ?? zoneId
}

const persons = (count) => `${formatNumber(count)} ${count === 1 ? 'persoon' : 'personen'}`
const density = (value) => `${formatNumber(value, 2)} personen per m²`

function renderZones () {
  const tbody = $('zones').tBodies[0]
  tbody.replaceChildren(...state.states.map((zone) => {
    const row = document.createElement('tr')
    const name = el('th', zone.name)
    name.scope = 'row'
    const level = el('td')
    level.append(levelBadge(zone.level))
    const since = el('span', 'sinds ', 'sub')
    since.append(timeElement(zone.levelSince))
    level.append(since)
    const trend = TRENDS[zone.trend] ?? { label: zone.trend, arrow: '' }
    const trendCell = el('td')
    trendCell.append(el('span', trend.arrow, undefined), ' ', trend.label)
    trendCell.firstChild.setAttribute('aria-hidden', 'true')
    const signal = el('td')
    if (zone.silentSensorIds.length > 0) {
      const silent = el('span', undefined, 'silent')
      silent.append(icon('cross'), ` Geen signaal van ${zone.silentSensorIds.length === 1 ? 'monitor' : `${zone.silentSensorIds.length} monitoren`}: ${zone.silentSensorIds.join(', ')}`)
      signal.append(silent)
    } else {
      signal.append(el('span', 'In orde', 'signal-ok'))
    }
    row.append(name, level, el('td', formatNumber(zone.count), 'number'), el('td', formatNumber(zone.density, 2), 'number'), trendCell, signal)
    return row
  }))
  $('zones-empty').hidden = state.states.length > 0
  renderMap()
}

function renderMap () {
  const L = window.L
  if (!state.map || L === undefined) return
  state.zoneLayer?.remove()
  state.zoneLayer = L.layerGroup()
  const bounds = []
  for (const zone of state.zones.values()) {
    const current = state.states.find((s) => s.zoneId === zone.id)
    const info = LEVELS[current?.level] ?? { label: 'onbekend', fill: '#6b7280' }
    // GeoJSON is lon/lat (RFC 7946 section 3.1.1); Leaflet wants lat/lon.
    const rings = zone.geometry.coordinates.map((ring) => ring.map(([lon, lat]) => [lat, lon]))
    const silent = (current?.silentSensorIds.length ?? 0) > 0
    const polygon = L.polygon(rings, {
      color: '#1b1b1b',
      weight: 2,
      // A zone with silent monitors gets a dashed outline: a second cue besides its label.
      dashArray: silent ? '6 4' : undefined,
      fillColor: info.fill,
      fillOpacity: 0.55
    })
    polygon.bindTooltip(`${zone.name}: ${info.label}${silent ? ', geen signaal' : ''}`, { permanent: true, direction: 'center', className: 'map-label' })
    polygon.addTo(state.zoneLayer)
    bounds.push(...rings[0])
  }
  state.zoneLayer.addTo(state.map)
  if (bounds.length > 0 && !state.fitted) {
    state.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 })
    state.fitted = true
  }
}

function describeEvent (event) {
  const where = zoneName(event.zoneId)
  if (event.type === 'no-signal') return `${where}: geen signaal van ${event.sensorIds.join(', ')}.`
  if (event.type === 'signal') return `${where}: signaal terug van ${event.sensorIds.join(', ')}.`
  const level = LEVELS[event.level]?.label ?? event.level
  const previous = LEVELS[event.previousLevel]?.label ?? event.previousLevel
  return `${where}: ${level} (was ${previous.toLowerCase()}), ${persons(event.count)}, ${density(event.density)}.`
}

function ackText (ack) {
  return `Bevestigd door ${ack.by} om ${formatTime(ack.at)}.`
}

function renderEvent (event) {
  const item = el('li')
  item.dataset.id = event.id
  const text = el('p')
  text.append(timeElement(event.time), ' ')
  if (event.type === 'level') text.append(levelBadge(event.level), ' ')
  text.append(describeEvent(event))
  item.append(text)
  if (event.ack !== null) {
    item.append(el('p', ackText(event.ack), 'acked'))
  } else {
    item.className = 'unacked'
    const button = el('button', 'Bevestigen')
    button.type = 'button'
    // The visible word is the same on every row; the hidden part says which alert it is (WCAG 2.4.6).
    button.append(el('span', `: ${describeEvent(event)}`, 'visually-hidden'))
    button.addEventListener('click', () => acknowledge(event.id, item, button))
    item.append(button)
  }
  return item
}

async function acknowledge (id, item, button) {
  if (button.getAttribute('aria-busy') === 'true') return
  // aria-busy rather than disabled: disabling the focused button would drop keyboard focus.
  button.setAttribute('aria-busy', 'true')
  item.querySelector('.ack-error')?.remove()
  try {
    const event = await requestJson('POST', `/v1/alerts/${encodeURIComponent(id)}/ack`, state.token)
    state.events.set(event.id, event)
    const hadFocus = document.activeElement === button
    const done = el('p', ackText(event.ack), 'acked')
    done.tabIndex = -1
    button.replaceWith(done)
    item.classList.remove('unacked')
    // Keep the keyboard user's place: focus moves to the confirmation that replaced the button.
    if (hadFocus) done.focus()
  } catch (err) {
    button.removeAttribute('aria-busy')
    if (isAuthError(err)) return gate.fail(err)
    const message = err instanceof HttpError && err.status === 404 ? 'Deze melding bestaat niet meer.' : `Bevestigen is niet gelukt (${err.message}). Probeer het opnieuw.`
    const error = el('p', message, 'ack-error')
    error.setAttribute('role', 'alert')
    item.append(error)
  }
}

const newestFirst = (a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0)

function renderEvents () {
  const list = $('events')
  const events = [...state.events.values()].sort(newestFirst).slice(0, MAX_EVENTS)
  list.replaceChildren(...events.map(renderEvent))
  $('events-empty').hidden = events.length > 0
}

/** A new or changed event from the stream, put in place without redrawing the list (focus stays). */
function upsertEvent (event) {
  const known = state.events.has(event.id)
  state.events.set(event.id, event)
  const list = $('events')
  const existing = list.querySelector(`li[data-id="${CSS.escape(event.id)}"]`)
  if (existing !== null) {
    // Only an acknowledgement changes an event; a row already showing one stays as it is, and
    // so does one this viewer is acknowledging right now (its own answer moves the focus).
    const button = existing.querySelector('button')
    if (event.ack !== null && button !== null && button.getAttribute('aria-busy') !== 'true') existing.replaceWith(renderEvent(event))
    return
  }
  const newer = [...list.children].find((li) => BigInt(li.dataset.id) < BigInt(event.id))
  list.insertBefore(renderEvent(event), newer ?? null)
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove()
  $('events-empty').hidden = true
  if (!known) announce(event)
}

/**
 * Says new alerts out loud once (aria-live="assertive" in the page). Events of one evaluation
 * arrive together; they are read as one message, most urgent first, or each would cut the
 * previous one off and the last, not the worst, would be heard.
 */
const pending = []
function urgency (event) {
  if (event.type === 'level') {
    const rank = LEVELS[event.level]?.rank ?? 0
    return rank > (LEVELS[event.previousLevel]?.rank ?? 0) ? 10 + rank : 1
  }
  return event.type === 'no-signal' ? 5 : 0
}

function announce (event) {
  pending.push(event)
  if (pending.length > 1) return
  const region = $('announcer')
  // Clearing first makes the region change even when the next message reads the same.
  region.textContent = ''
  setTimeout(() => {
    const events = pending.splice(0).sort((a, b) => urgency(b) - urgency(a))
    if (events.length === 0) return
    const at = formatTime(events.map((e) => e.time).sort().at(-1))
    const lead = events.length === 1 ? `Nieuwe melding om ${at}:` : `${events.length} nieuwe meldingen om ${at}:`
    region.textContent = [lead, ...events.map(describeEvent)].join(' ')
  }, 100)
}

function setConnection (status) {
  const node = $('connection')
  node.dataset.state = status
  node.textContent = status === 'open'
    ? 'Live: nieuwe meldingen verschijnen vanzelf.'
    : 'Verbinding verbroken; opnieuw verbinden… Meldingen van tussendoor komen daarna alsnog binnen.'
}

async function loadZones () {
  const { data } = await getJson('/v1/zones')
  state.zones = new Map(data.map((zone) => [zone.id, zone]))
}

async function start (token) {
  const [config, alerts] = await Promise.all([getJson('/dashboard/config.json'), getJson('/v1/alerts', token), loadZones()])
  state.token = token
  state.states = alerts.zones
  state.events = new Map(alerts.events.map((event) => [event.id, event]))
  // Shown before the map is made, so Leaflet measures its real size.
  $('dashboard').hidden = false
  if (state.map === undefined) state.map = createMap($('map'), config.tileUrl)
  state.map?.invalidateSize()
  renderZones()
  renderEvents()
  setConnection('connecting')
  const newest = [...state.events.values()].sort(newestFirst)[0]
  state.stream = openEventStream({
    url: '/v1/alerts/stream',
    token,
    // The snapshot above holds everything up to its newest event; the server replays the rest.
    lastEventId: newest?.id,
    onState: setConnection,
    onAuthError: (status) => gate.fail(new HttpError(status)),
    onEvent: ({ type, data }) => {
      // An acknowledgement by anyone reaches every open dashboard as the updated event.
      if (type === 'alert' || type === 'ack') upsertEvent(JSON.parse(data))
      if (type === 'zones') {
        state.states = JSON.parse(data)
        // A zone registered since the page loaded: fetch its outline for the map.
        if (state.states.some((s) => !state.zones.has(s.zoneId))) loadZones().then(renderMap, () => {})
        renderZones()
      }
    }
  })
}

function stop () {
  state.stream?.close()
  state.stream = undefined
  state.token = undefined
  pending.length = 0
  $('announcer').textContent = ''
}

const gate = tokenGate({ storageKey: 'sensorstad.dashboard.alerts.token', roleName: 'handhaving (enforcement)', start, stop })
