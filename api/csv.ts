/**
 * RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, quote,
 * CR or LF, quotes doubled. Absent values are empty fields.
 */
export function toCsv<K extends string> (columns: readonly K[], rows: ReadonlyArray<Partial<Record<K, unknown>>>): string {
  const lines = [columns.map(escape).join(',')]
  for (const row of rows) lines.push(columns.map((c) => escape(row[c])).join(','))
  return lines.join('\r\n') + '\r\n'
}

function escape (value: unknown): string {
  if (value === undefined || value === null) return ''
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
