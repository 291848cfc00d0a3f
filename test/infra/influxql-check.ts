import type { KindCatalog } from '../../registry/kind-catalog.js'

/**
 * Checks an InfluxQL query of a Grafana dashboard against the InfluxDB schema the platform
 * writes: retention policy `raw_<kind>` with measurement `<kind>` (tags `sensor`, `field`;
 * field `value`) and retention policy `aggregates` with measurement `<kind>_aggregates`
 * (tags `sensor`, `field`, `window`; fields `count`, `sum`, `min`, `max`). Kinds with ride
 * rules (bicycles) are not in InfluxDB: they live in the grid store. Returns the problems
 * found, empty when the query fits. A deliberately small reading of InfluxQL: it accepts the
 * SELECT and SHOW TAG VALUES forms the dashboard uses and reports anything it cannot follow.
 */
export function influxQlProblems (query: string, kinds: KindCatalog, database: string): string[] {
  const problems: string[] = []
  const text = query.trim()
  const isSelect = /^SELECT\b/i.test(text)
  const isShowTagValues = /^SHOW\s+TAG\s+VALUES\b/i.test(text)
  if (!isSelect && !isShowTagValues) return [`only SELECT and SHOW TAG VALUES are checked: ${text}`]
  if (text.includes(';')) return ['one statement per query']

  // Names of fields must be literal: a regex on "field" could match fields the kind does not have.
  if (/"field"\s*[=!]~/.test(text)) problems.push('select fields with "field" = \'name\', not a regex')
  // Regex literals (after =~ or !~) hold Grafana variables and no identifiers; drop them.
  const bare = text.replace(/([=!]~\s*)\/(?:[^/\\]|\\.)*\//g, '$1//')

  const from = /\bFROM\s+(.+?)(?=\s+(?:WHERE|GROUP|ORDER|LIMIT|SLIMIT|OFFSET|SOFFSET|FILL|TZ|WITH)\b|\s*$)/i.exec(bare)
  if (from?.[1] === undefined) return [...problems, 'no FROM clause']
  const sources = from[1].split(',').map((s) => s.trim())
  const allowedKeys = new Set<string>()
  const tableKinds: Array<{ kind: string, aggregates: boolean }> = []
  for (const source of sources) {
    const parts = identifierParts(source)
    if (parts === undefined) {
      problems.push(`cannot follow the source ${source} (subquery or regex?)`)
      continue
    }
    const measurement = parts[parts.length - 1] ?? ''
    const rp = parts.length >= 2 ? parts[parts.length - 2] : undefined
    const db = parts.length === 3 ? parts[0] : undefined
    if (db !== undefined && db !== database) problems.push(`database ${db} is not ${database}`)
    const aggregates = measurement.endsWith('_aggregates')
    const kindId = aggregates ? measurement.slice(0, -'_aggregates'.length) : measurement
    const kind = kinds.get(kindId)
    if (kind === undefined) {
      problems.push(`measurement ${measurement}: no kind ${kindId} in registry/kinds`)
      continue
    }
    if (kind.privacy.rides !== undefined) {
      problems.push(`measurement ${measurement}: ${kindId} data is not in InfluxDB (grid store, /v1/grid)`)
      continue
    }
    const expectedRp = aggregates ? 'aggregates' : `raw_${kindId}`
    if (rp === undefined) problems.push(`measurement ${measurement}: name its retention policy, "${expectedRp}"."${measurement}"`)
    else if (rp !== expectedRp) problems.push(`measurement ${measurement} is in retention policy ${expectedRp}, not ${rp}`)
    tableKinds.push({ kind: kindId, aggregates })
    for (const key of aggregates ? ['sensor', 'field', 'window', 'count', 'sum', 'min', 'max'] : ['sensor', 'field', 'value']) allowedKeys.add(key)
  }
  if (tableKinds.length === 0) return problems

  // Every double-quoted identifier outside FROM and aliases must be a tag or field key of the
  // measurements.
  const rest = bare.replace(from[0], ' ').replace(/\bAS\s+(?:"(?:[^"\\]|\\.)*"|\w+)/gi, ' ')
  for (const match of rest.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const key = match[1] ?? ''
    if (!allowedKeys.has(key)) problems.push(`"${key}" is not a tag or field of ${sources.join(', ')}`)
  }
  // Unquoted words that are not InfluxQL keywords, functions or Grafana macros would be
  // identifiers; `field` is a keyword, so tag and field keys are written quoted.
  const words = rest
    .replace(/'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
  for (const match of words.matchAll(/(?<![\w$])([A-Za-z_]\w*)\b(?!\s*\()/g)) {
    const word = match[1] ?? ''
    if (!KEYWORDS.has(word.toUpperCase())) problems.push(`unquoted identifier ${word}: quote tag and field keys`)
  }
  if (/\bSELECT\s+\*/i.test(bare)) problems.push('SELECT * mixes fields; name them')

  const fields = [...bare.matchAll(/"field"\s*=\s*'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1] ?? '')
  const windows = [...bare.matchAll(/"window"\s*=\s*'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1] ?? '')
  if (isSelect) {
    if (fields.length === 0) problems.push('a SELECT must restrict "field" = \'name\' (one measurement holds every field of the kind)')
    if (!bare.includes('$timeFilter')) problems.push('a SELECT must use $timeFilter')
    if (tableKinds.some((t) => t.aggregates) && windows.length === 0) {
      problems.push('a SELECT on aggregates must restrict "window" = \'...\' (every window holds the same readings)')
    }
  }
  for (const { kind: kindId } of tableKinds) {
    const kind = kinds.get(kindId)
    if (kind === undefined) continue
    for (const field of fields) {
      const spec = kind.fields[field]
      if (spec === undefined) problems.push(`field ${field} is not declared by kind ${kindId}`)
      else if (spec.privacy !== 'open') problems.push(`field ${field} of kind ${kindId} has privacy class ${spec.privacy}, not open`)
    }
    for (const window of windows) {
      if (!(kind.windows as readonly string[]).includes(window)) problems.push(`window ${window} is not one of kind ${kindId}: ${kind.windows.join(', ')}`)
    }
  }
  return problems
}

/** `"a"."b"`, `a.b`, `"a"` into its parts; undefined for anything else (regex, subquery). */
function identifierParts (source: string): string[] | undefined {
  const part = String.raw`(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*))`
  const whole = new RegExp(String.raw`^${part}(?:\.${part})?(?:\.${part})?$`)
  const match = whole.exec(source)
  if (match === null) return undefined
  const parts: string[] = []
  for (let i = 1; i < match.length; i += 2) {
    const value = match[i] ?? match[i + 1]
    if (value !== undefined) parts.push(value)
  }
  return parts
}

/** Words that may stand unquoted in the queries: InfluxQL keywords and fill options. */
const KEYWORDS = new Set([
  'SELECT', 'SHOW', 'TAG', 'VALUES', 'WITH', 'KEY', 'IN', 'WHERE', 'AND', 'OR', 'NOT', 'GROUP', 'BY',
  'ORDER', 'ASC', 'DESC', 'LIMIT', 'SLIMIT', 'OFFSET', 'SOFFSET', 'TIME', 'NOW', 'NULL', 'NONE',
  'PREVIOUS', 'LINEAR', 'TRUE', 'FALSE', 'AS'
])
