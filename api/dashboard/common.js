/**
 * What both dashboards share: the token form, fetch with the bearer token, Dutch number and
 * time formats, and the base map. Plain ES modules for current browsers, no build step; every
 * text from the API goes into the page through textContent, never as markup.
 */

export class HttpError extends Error {
  constructor (status, detail) {
    super(detail ?? `HTTP ${status}`)
    this.status = status
  }
}

/** GET a JSON resource; problem+json answers (RFC 9457) become an HttpError with their detail. */
export async function getJson (path, token) {
  return requestJson('GET', path, token)
}

export async function requestJson (method, path, token) {
  const headers = { accept: 'application/json' }
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  const res = await fetch(path, { method, headers, cache: 'no-store' })
  if (!res.ok) {
    let detail
    try { detail = (await res.json()).detail } catch {}
    throw new HttpError(res.status, detail)
  }
  return res.json()
}

export function isAuthError (err) {
  return err instanceof HttpError && (err.status === 401 || err.status === 403)
}

/** What a refused token means, in words an officer can act on. */
export function authMessage (status, roleName) {
  if (status === 401) return 'Deze toegangscode is niet (meer) geldig. Controleer de code, of vraag een beheerder om een nieuwe.'
  return `Deze toegangscode geeft geen toegang tot dit dashboard; het is voor de rol ${roleName}. Vraag een beheerder om een code met die rol.`
}

/**
 * The token form. The token lives in sessionStorage: it survives a reload but goes with the
 * tab, so a shared computer does not keep it. `start(token)` loads the dashboard and throws
 * on failure; `stop()` ends whatever it started (a stream, a timer).
 */
export function tokenGate ({ storageKey, roleName, start, stop }) {
  const login = document.getElementById('login')
  const form = document.getElementById('login-form')
  const input = document.getElementById('token')
  const message = document.getElementById('login-message')
  const dashboard = document.getElementById('dashboard')
  const title = document.getElementById('title')

  function showForm (text) {
    stop()
    dashboard.hidden = true
    login.hidden = false
    message.textContent = text ?? ''
    input.value = ''
    input.setAttribute('aria-invalid', text ? 'true' : 'false')
    input.focus()
  }

  /** A refused token is forgotten at once; any other failure keeps it for another try. */
  function fail (err) {
    if (isAuthError(err)) {
      sessionStorage.removeItem(storageKey)
      showForm(authMessage(err.status, roleName))
    } else {
      showForm(`Het dashboard kon niet laden (${err.message}). Probeer het opnieuw.`)
    }
  }

  async function open (token, { focus }) {
    message.textContent = ''
    try {
      await start(token)
    } catch (err) {
      fail(err)
      return
    }
    login.hidden = true
    dashboard.hidden = false
    input.removeAttribute('aria-invalid')
    // After a sign-in, tell screen readers where they are now (WCAG 2.4.3).
    if (focus) title.focus()
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const token = input.value.trim()
    if (token === '') return
    sessionStorage.setItem(storageKey, token)
    open(token, { focus: true })
  })
  document.getElementById('logout').addEventListener('click', () => {
    sessionStorage.removeItem(storageKey)
    showForm('')
  })

  const saved = sessionStorage.getItem(storageKey)
  if (saved !== null) open(saved, { focus: false })

  return { fail }
}

const numberFormats = new Map()
export function formatNumber (value, maximumFractionDigits = 0) {
  if (!numberFormats.has(maximumFractionDigits)) numberFormats.set(maximumFractionDigits, new Intl.NumberFormat('nl-NL', { maximumFractionDigits }))
  return numberFormats.get(maximumFractionDigits).format(value)
}

/** Utrecht's clock, whatever the browser's time zone. */
const timeFormat = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit', second: '2-digit' })
const dateTimeFormat = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
const dayFormat = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' })

/** A time of today as 21:03:04, of another day as "3 dec. 21:03". */
export function formatTime (iso) {
  const date = new Date(iso)
  return dayFormat.format(date) === dayFormat.format(new Date()) ? timeFormat.format(date) : dateTimeFormat.format(date)
}

export function timeElement (iso) {
  const time = document.createElement('time')
  time.dateTime = iso
  time.textContent = formatTime(iso)
  return time
}

/** Creates an element with text content and optional class. */
export function el (tag, text, className) {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className !== undefined) node.className = className
  return node
}

const SVG = 'http://www.w3.org/2000/svg'

/** A small decorative shape beside a word (the word carries the meaning, WCAG 1.4.1). */
export function icon (shape) {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 16 16')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('fill', 'currentColor')
  path.setAttribute('fill-rule', 'evenodd')
  path.setAttribute('d', SHAPES[shape] ?? SHAPES.circle)
  svg.append(path)
  return svg
}

const SHAPES = {
  circle: 'M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2z',
  triangle: 'M8 1.5 15 14H1z',
  square: 'M2 2h12v12H2z',
  // A stop sign with an exclamation mark cut out, so it reads apart from the circle when small.
  octagon: 'M5.2 1h5.6L15 5.2v5.6L10.8 15H5.2L1 10.8V5.2zM7 3.5v5.5h2V3.5zM7 10.5v2h2v-2z',
  cross: 'M3.3 1.9 8 6.6l4.7-4.7 1.4 1.4L9.4 8l4.7 4.7-1.4 1.4L8 9.4l-4.7 4.7-1.4-1.4L6.6 8 1.9 3.3z'
}

/**
 * The base map, or null when Leaflet did not load: the tables carry everything, so the page
 * works on without it. No zoom buttons, keyboard handler or attribution links: the map is
 * aria-hidden (the tables are its alternative), so it may hold nothing focusable (WCAG 4.1.2).
 * Tiles that fail to load leave grey squares; the vector layers draw regardless.
 */
export function createMap (element, tileUrl) {
  const L = window.L
  if (L === undefined) {
    element.parentElement.hidden = true
    return null
  }
  const map = L.map(element, { zoomControl: false, keyboard: false, attributionControl: false, center: [52.0907, 5.1214], zoom: 14 })
  if (typeof tileUrl === 'string' && tileUrl !== '') L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map)
  const caption = document.getElementById('map-caption')
  if (caption !== null) caption.append(' ', tileCredit(tileUrl))
  return map
}

/** The base map's source in words; PDOK's BRT-Achtergrondkaart asks for Kadaster's credit (CC BY 4.0). */
function tileCredit (tileUrl) {
  let host = ''
  try { host = new URL(tileUrl, window.location.href).host } catch {}
  if (/(^|\.)pdok\.nl$/.test(host)) return 'Achtergrondkaart: BRT-Achtergrondkaart, © Kadaster (PDOK), CC BY 4.0. Kaartweergave: Leaflet.'
  return `Achtergrondkaart: ${host || 'eigen server'}. Kaartweergave: Leaflet.`
}
