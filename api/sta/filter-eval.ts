import type { Comparison, FilterNode } from './filter-parser.js'

/**
 * Evaluates a parsed `$filter` against one entity. Times follow OGC 18-088 section 9.3.3.5.2:
 * a time interval is half-open [start, end), an instant is a point, and `lt` means "entirely
 * before", so `phenomenonTime lt T` holds for a 15-minute window that ends at T.
 */
export type Resolve = (path: readonly string[]) => unknown

interface Time { start: number, end: number, interval: boolean }
type Value = string | number | boolean | null | undefined | Time | { date: string } | object

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})$/

export function matchesFilter (node: FilterNode, resolve: Resolve): boolean {
  return evaluate(node, resolve) === true
}

function evaluate (node: FilterNode, resolve: Resolve): Value {
  switch (node.type) {
    case 'or': return matchesFilter(node.left, resolve) || matchesFilter(node.right, resolve)
    case 'and': return matchesFilter(node.left, resolve) && matchesFilter(node.right, resolve)
    case 'not': return !matchesFilter(node.operand, resolve)
    case 'compare': return compare(node.op, evaluate(node.left, resolve), evaluate(node.right, resolve))
    case 'call': return call(node.name, node.args.map((arg) => evaluate(arg, resolve)))
    case 'path': return resolve(node.path) as Value
    case 'string': case 'number': case 'boolean': return node.value
    case 'null': return null
    case 'datetime': return { start: node.value, end: node.value, interval: false }
    case 'date': return { date: node.value }
  }
}

function call (name: string, args: Value[]): Value {
  const [a, b] = args
  switch (name) {
    case 'startswith': return typeof a === 'string' && typeof b === 'string' && a.startsWith(b)
    // OData 3 (the SensorThings 1.x function): substringof(needle, haystack).
    case 'substringof': return typeof a === 'string' && typeof b === 'string' && b.includes(a)
    // OData 4: contains(haystack, needle).
    case 'contains': return typeof a === 'string' && typeof b === 'string' && a.includes(b)
    case 'date': {
      const time = asTime(a)
      return time === undefined ? null : { date: new Date(time.start).toISOString().slice(0, 10) }
    }
    default: return null
  }
}

function compare (op: Comparison, a: Value, b: Value): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    const equal = (a ?? null) === (b ?? null)
    return op === 'eq' ? equal : op === 'ne' ? !equal : false
  }
  if (isDate(a) || isDate(b)) {
    const x = asDate(a)
    const y = asDate(b)
    return x !== undefined && y !== undefined ? ordered(op, x < y ? -1 : x > y ? 1 : 0) : op === 'ne'
  }
  if (isTime(a) || isTime(b)) {
    const x = asTime(a)
    const y = asTime(b)
    return x !== undefined && y !== undefined ? compareTimes(op, x, y) : op === 'ne'
  }
  if (typeof a === 'number' && typeof b === 'number') return ordered(op, a < b ? -1 : a > b ? 1 : 0)
  if (typeof a === 'string' && typeof b === 'string') return ordered(op, a < b ? -1 : a > b ? 1 : 0)
  if (typeof a === 'boolean' && typeof b === 'boolean') return op === 'eq' ? a === b : op === 'ne' ? a !== b : false
  // Different types (a number against a string) never match; OData would reject the request,
  // but a property's type differs per entity here (a `properties` value), so a row just fails.
  return op === 'ne'
}

function ordered (op: Comparison, sign: number): boolean {
  switch (op) {
    case 'eq': return sign === 0
    case 'ne': return sign !== 0
    case 'gt': return sign > 0
    case 'ge': return sign >= 0
    case 'lt': return sign < 0
    case 'le': return sign <= 0
  }
}

function compareTimes (op: Comparison, a: Time, b: Time): boolean {
  const before = (x: Time, y: Time) => x.end < y.start || (x.end === y.start && x.interval)
  switch (op) {
    case 'eq': return a.start === b.start && a.end === b.end
    case 'ne': return !(a.start === b.start && a.end === b.end)
    case 'lt': return before(a, b)
    case 'gt': return before(b, a)
    case 'le': return a.start <= b.start && a.end <= b.end
    case 'ge': return a.start >= b.start && a.end >= b.end
  }
}

function isTime (v: Value): v is Time {
  return typeof v === 'object' && v !== null && 'interval' in v
}

function isDate (v: Value): v is { date: string } {
  return typeof v === 'object' && v !== null && 'date' in v
}

/** A time value, or an RFC 3339 instant or `start/end` interval string as entities carry them. */
function asTime (v: Value): Time | undefined {
  if (isTime(v)) return v
  if (typeof v !== 'string') return undefined
  const parts = v.split('/')
  if (parts.length > 2 || !parts.every((p) => ISO_INSTANT.test(p))) return undefined
  const [start, end] = parts.map((p) => Date.parse(p))
  if (!Number.isFinite(start) || (end !== undefined && !Number.isFinite(end))) return undefined
  return end === undefined ? { start: start!, end: start!, interval: false } : { start: start!, end, interval: true }
}

function asDate (v: Value): string | undefined {
  if (isDate(v)) return v.date
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v
  const time = asTime(v)
  return time === undefined ? undefined : new Date(time.start).toISOString().slice(0, 10)
}

/**
 * The time range a filter confines `phenomenonTime` (or `resultTime`) to, read from the
 * comparisons with a datetime literal that every match must pass (the top-level `and` chain).
 * Observations are read from the stores only for this range; the filter still decides per row.
 * `resultTime` of a window is its end, so its lower bound moves back by `maxWindowMs`.
 */
export function timeBounds (node: FilterNode | undefined, maxWindowMs: number): { from?: number, to?: number } {
  const bounds: { from?: number, to?: number } = {}
  const visit = (n: FilterNode): void => {
    if (n.type === 'and') { visit(n.left); visit(n.right); return }
    if (n.type !== 'compare' || n.left.type !== 'path' || n.right.type !== 'datetime' || n.left.path.length !== 1) return
    const field = n.left.path[0]
    if (field !== 'phenomenonTime' && field !== 'resultTime') return
    const t = n.right.value
    if (n.op === 'ge' || n.op === 'gt' || n.op === 'eq') {
      const from = field === 'resultTime' ? t - maxWindowMs : t
      bounds.from = Math.max(bounds.from ?? -Infinity, from)
    }
    if (n.op === 'lt' || n.op === 'le' || n.op === 'eq') bounds.to = Math.min(bounds.to ?? Infinity, t + 1)
  }
  if (node !== undefined) visit(node)
  return bounds
}
