import { SensorstadError } from '../../core/errors.js'
import { NAVIGATION, PROPERTIES, type EntitySet } from './entity-sets.js'
import { parseFilter, type FilterNode } from './filter-parser.js'

/**
 * The query options of OGC 18-088 section 9.3 this server supports: $top, $skip, $count,
 * $orderby, $select, $filter and one level of $expand with its own $select, $filter,
 * $orderby and $top. Anything else is refused with a 400 that says what is supported, rather
 * than ignored, so a client never mistakes a partial answer for the one it asked.
 */
export const DEFAULT_TOP = 100
export const MAX_TOP = 1000
const ORDERABLE = ['id', 'name', 'phenomenonTime', 'resultTime', 'result']
const SUPPORTED = '$top, $skip, $count, $orderby, $select, $filter, $expand (one level, with nested $select, $filter, $orderby, $top) and $skiptoken'

export interface OrderBy { path: string, desc: boolean }

export interface QueryOptions {
  top: number
  skip: number
  count: boolean
  orderby: OrderBy[]
  /** Property and navigation names to keep; undefined keeps all. */
  select?: string[]
  filter?: FilterNode
  expand: Array<{ nav: string, options: QueryOptions }>
  /** The options as given, for the `@iot.nextLink` of this level. */
  raw: RawOptions
}

export type RawOptions = Record<string, string>

function invalid (option: string, message: string): never {
  throw new SensorstadError('API_ERR_VALIDATION', `${message}. Supported options: ${SUPPORTED}`, option)
}

/** The `$` options of a query string; other parameters are not ours to judge and are left alone. */
export function rawOptions (query: Record<string, unknown>): RawOptions {
  const raw: RawOptions = {}
  for (const [key, value] of Object.entries(query)) {
    if (!key.startsWith('$')) continue
    if (typeof value !== 'string') invalid(key, `${key} is given more than once`)
    raw[key] = value
  }
  return raw
}

export function parseQueryOptions (raw: RawOptions, set: EntitySet, nested = false): QueryOptions {
  const allowed = nested ? ['$top', '$skip', '$orderby', '$select', '$filter'] : ['$top', '$skip', '$count', '$orderby', '$select', '$filter', '$expand']
  for (const key of Object.keys(raw)) {
    if (key === '$expand' && nested) invalid(key, '$expand reaches one level deep here')
    if (!allowed.includes(key)) invalid(key, `Unsupported query option ${key}${nested ? ' inside $expand' : ''}`)
  }
  const options: QueryOptions = {
    top: Math.min(integer(raw.$top, '$top', DEFAULT_TOP), MAX_TOP),
    skip: integer(raw.$skip, '$skip', 0),
    count: flag(raw.$count),
    orderby: raw.$orderby === undefined ? [] : parseOrderBy(raw.$orderby, set),
    expand: raw.$expand === undefined ? [] : parseExpand(raw.$expand, set),
    raw
  }
  if (raw.$select !== undefined) options.select = parseSelect(raw.$select, set)
  if (raw.$filter !== undefined) {
    options.filter = parseFilter(raw.$filter)
    checkPaths(options.filter, set)
  }
  return options
}

function integer (value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!/^\d{1,9}$/.test(value.trim())) invalid(option, `${option} must be a whole number of 0 or more`)
  return Number(value)
}

function flag (value: string | undefined): boolean {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  return invalid('$count', '$count must be true or false')
}

function names (value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

function parseSelect (value: string, set: EntitySet): string[] {
  const known = ['id', '@iot.id', '@iot.selfLink', ...PROPERTIES[set], ...Object.keys(NAVIGATION[set])]
  const selected = names(value)
  if (selected.length === 0) invalid('$select', '$select names no property')
  for (const name of selected) {
    if (!known.includes(name)) invalid('$select', `${set} have no property ${JSON.stringify(name)}; they have ${known.join(', ')}`)
  }
  return selected.map((name) => name === '@iot.id' ? 'id' : name)
}

function parseOrderBy (value: string, set: EntitySet): OrderBy[] {
  const orderable = ORDERABLE.filter((p) => p === 'id' || PROPERTIES[set].includes(p))
  return names(value).map((item) => {
    const [path, direction, ...rest] = item.split(/\s+/)
    const name = path === '@iot.id' ? 'id' : path!
    if (rest.length > 0 || (direction !== undefined && direction !== 'asc' && direction !== 'desc')) invalid('$orderby', `$orderby takes "property asc" or "property desc", not ${JSON.stringify(item)}`)
    if (!orderable.includes(name)) invalid('$orderby', `${set} can be ordered by ${orderable.join(', ')}, not ${JSON.stringify(path)}`)
    return { path: name, desc: direction === 'desc' }
  })
}

/** Checks that every property a filter names exists on the set: a typo is a 400, not an empty answer. */
function checkPaths (node: FilterNode, set: EntitySet): void {
  switch (node.type) {
    case 'or': case 'and': checkPaths(node.left, set); checkPaths(node.right, set); return
    case 'not': checkPaths(node.operand, set); return
    case 'compare': checkPaths(node.left, set); checkPaths(node.right, set); return
    case 'call': node.args.forEach((arg) => checkPaths(arg, set)); return
    case 'path': {
      const [first] = node.path
      if (first === 'id' || first === '@iot.id') {
        if (node.path.length > 1) invalid('$filter', `${first} has no sub-properties`)
        return
      }
      if (Object.hasOwn(NAVIGATION[set], first!)) invalid('$filter', `Filtering through a navigation property (${node.path.join('/')}) is not supported; filter the related set itself`)
      if (!PROPERTIES[set].includes(first!)) invalid('$filter', `${set} have no property ${JSON.stringify(first)}; they have id, ${PROPERTIES[set].join(', ')}`)
    }
  }
}

/** Splits at `separator` outside parentheses and quotes. */
function splitTopLevel (value: string, separator: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (c === "'") quoted = !quoted
    else if (!quoted && c === '(') depth++
    else if (!quoted && c === ')') depth--
    else if (!quoted && depth === 0 && c === separator) {
      parts.push(value.slice(start, i))
      start = i + 1
    }
    if (depth < 0) invalid('$expand', 'Unbalanced parentheses in $expand')
  }
  if (depth !== 0 || quoted) invalid('$expand', 'Unbalanced parentheses or quotes in $expand')
  parts.push(value.slice(start))
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

function parseExpand (value: string, set: EntitySet): QueryOptions['expand'] {
  return splitTopLevel(value, ',').map((item) => {
    const match = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(item)
    if (match === null) {
      return invalid('$expand', item.includes('/') ? `$expand reaches one level deep here, not ${JSON.stringify(item)}` : `Cannot read $expand item ${JSON.stringify(item)}`)
    }
    const nav = match[1]!
    const target = NAVIGATION[set][nav]
    if (target === undefined) invalid('$expand', `${set} have no navigation property ${JSON.stringify(nav)}; they have ${Object.keys(NAVIGATION[set]).join(', ')}`)
    const nestedRaw: RawOptions = {}
    for (const part of splitTopLevel(match[2] ?? '', ';')) {
      const eq = part.indexOf('=')
      if (eq < 1) invalid('$expand', `Cannot read ${JSON.stringify(part)} inside $expand; write $option=value`)
      const key = part.slice(0, eq).trim()
      if (Object.hasOwn(nestedRaw, key)) invalid('$expand', `${key} is given twice inside $expand`)
      nestedRaw[key] = part.slice(eq + 1).trim()
    }
    return { nav, options: parseQueryOptions(nestedRaw, target.set, true) }
  })
}
