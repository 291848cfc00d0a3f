import type { DayTable } from '../core/exports.js'

const DAY_MS = 86_400_000

/**
 * W3C CSVW metadata (Metadata Vocabulary for Tabular Data, 2015 Recommendation) for a day's
 * CSV file. A CSVW processor finds it next to the CSV as `{csv}-metadata.json` (Model for
 * Tabular Data section 5.2, default locations). Units go where a person and a machine both
 * find them: the column's `dc:description`, and `schema:unitText` (schema.org, a prefix the
 * CSVW context predefines) on columns of one unit and on each measured variable. Nothing here
 * depends on the clock, so rebuilding a day gives the same bytes.
 */
export function csvwMetadata (table: DayTable, csvUrl: string): Record<string, unknown> {
  const start = Date.parse(`${table.day}T00:00:00Z`)
  return {
    '@context': ['http://www.w3.org/ns/csvw', { '@language': 'en' }],
    url: csvUrl,
    'dc:title': `${table.title}, ${table.day}`,
    'dc:description': table.description,
    'dc:identifier': `${table.kind}/${table.day}`,
    // ISO 8601 interval: the UTC day the rows belong to.
    'dc:temporal': `${new Date(start).toISOString()}/${new Date(start + DAY_MS).toISOString()}`,
    'dc:subject': table.kind,
    'schema:variableMeasured': table.variables.map((v) => ({
      '@type': 'schema:PropertyValue',
      'schema:name': v.name,
      'schema:unitText': v.unit,
      'schema:description': v.description
    })),
    // RFC 4180 as DuckDB writes it: comma, double quotes doubled, CRLF, one header row.
    dialect: { header: true, delimiter: ',', quoteChar: '"', doubleQuote: true, lineTerminators: ['\r\n'] },
    tableSchema: {
      columns: table.columns.map((c) => ({
        name: c.name,
        titles: c.name,
        datatype: c.datatype === 'dateTime' ? { base: 'dateTime', format: 'yyyy-MM-ddTHH:mm:ss.SSSX' } : c.datatype,
        required: c.required,
        'dc:description': c.unit === undefined ? c.description : `${c.description} (unit: ${c.unit})`,
        ...(c.unit !== undefined ? { 'schema:unitText': c.unit } : {})
      })),
      primaryKey: [...table.primaryKey]
    }
  }
}
