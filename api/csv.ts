/**
 * RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, quote,
 * CR or LF, quotes doubled. Absent values are empty fields.
 *
 * Text that a spreadsheet would take for a formula (starting with =, +, -, @, tab or CR) gets
 * a leading `'` (OWASP "CSV Injection"): sensor and zone names come from admins and
 * registrations, and the exports are opened in spreadsheets by people who trust them.
 * Numbers, and text that is a plain number such as `-3.5`, are left alone so they stay
 * numbers in the sheet.
 */
export function toCsv<K extends string> (columns: readonly K[], rows: ReadonlyArray<Partial<Record<K, unknown>>>): string {
  const lines = [columns.map(escape).join(',')]
  for (const row of rows) lines.push(columns.map((c) => escape(row[c])).join(','))
  return lines.join('\r\n') + '\r\n'
}

const FORMULA_START = /^[=+\-@\t\r]/
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/** The text a spreadsheet shows as-is: formula-like text gets a leading `'`. */
export function neutralise (text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text
}

function escape (value: unknown): string {
  if (value === undefined || value === null) return ''
  const text = typeof value === 'string' ? neutralise(value) : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
