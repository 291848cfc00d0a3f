/**
 * A tagged template for HTML that escapes every interpolated value unless it is already
 * `SafeHtml` (the result of `html` itself, or of `raw()` for text we wrote ourselves). Register
 * entries are typed in by sensor owners and shown to anyone who scans a QR code, so escaping
 * is the default rather than something each page must remember (OWASP XSS Prevention Cheat
 * Sheet, rule 1). Attribute values must be double-quoted; `'` is escaped too, so either works.
 */
export class SafeHtml {
  readonly value: string

  constructor (value: string) {
    this.value = value
  }

  toString (): string {
    return this.value
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;'
}

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/** Marks trusted markup (our own constants only, never register text) as not to be escaped. */
export function raw (markup: string): SafeHtml {
  return new SafeHtml(markup)
}

/**
 * - `SafeHtml`: inserted as is.
 * - arrays: each item rendered by these rules, joined without separator (lists of rows).
 * - `undefined`, `null`, `false`: nothing, so `${condition && html`...`}` reads naturally.
 * - anything else: `String(value)`, escaped.
 */
function render (value: unknown): string {
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  if (value === undefined || value === null || value === false) return ''
  return escapeHtml(String(value))
}

export function html (strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!
  return new SafeHtml(out)
}
