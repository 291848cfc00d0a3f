import { SensorstadError } from '../../core/errors.js'

/**
 * The `$filter` subset of SensorThings API 1.1 (OGC 18-088 section 9.3.3.5, OData 4.0 URL
 * conventions section 5.1.1), parsed by recursive descent into a tree; nothing is ever
 * evaluated as code. Grammar, loosest binding first:
 *
 *   or      := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | compare
 *   compare := operand (('eq'|'ne'|'gt'|'ge'|'lt'|'le') operand)?
 *   operand := '(' or ')' | function '(' args ')' | literal | path
 */
export const COMPARISONS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const
export type Comparison = typeof COMPARISONS[number]

/** Function name to [arity, returns a boolean]. */
const FUNCTIONS = {
  startswith: [2, true],
  substringof: [2, true],
  contains: [2, true],
  date: [1, false]
} as const
export type FilterFunction = keyof typeof FUNCTIONS

export type FilterNode =
  | { type: 'or' | 'and', left: FilterNode, right: FilterNode }
  | { type: 'not', operand: FilterNode }
  | { type: 'compare', op: Comparison, left: FilterNode, right: FilterNode }
  | { type: 'call', name: FilterFunction, args: FilterNode[] }
  | { type: 'path', path: string[] }
  | { type: 'string', value: string }
  | { type: 'number', value: number }
  | { type: 'boolean', value: boolean }
  | { type: 'null' }
  /** An instant, epoch ms. */
  | { type: 'datetime', value: number }
  /** A calendar date, YYYY-MM-DD. */
  | { type: 'date', value: string }

export const FILTER_HELP = 'Supported in $filter: eq ne gt ge lt le, and or not, parentheses, startswith(a,b), substringof(a,b), contains(a,b), date(x); ' +
  "string ('text', '' for a quote), number, true, false, null, date (2026-11-30) and datetime (2026-11-30T12:00:00Z) literals; " +
  'properties such as id, name, description, result, phenomenonTime, resultTime and properties/<key>'

type Token =
  | { kind: 'punct', value: '(' | ')' | ',', at: number }
  | { kind: 'string', value: string, at: number }
  | { kind: 'number', value: number, at: number }
  | { kind: 'datetime', value: number, at: number }
  | { kind: 'date', value: string, at: number }
  | { kind: 'word', value: string, at: number }

const DATETIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})/y
const DATE = /\d{4}-\d{2}-\d{2}(?![\w:])/y
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])/y
// A property path: segments of letters, digits and underscore joined by '/'; '@iot.id' too.
const WORD = /@?[A-Za-z_][\w.]*(?:\/[A-Za-z_]\w*)*/y

/** The longest filter we parse, characters: bounds the work one request can cause. */
export const MAX_FILTER_LENGTH = 2000
const MAX_DEPTH = 50

export function parseFilter (text: string): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) fail(`$filter is longer than ${MAX_FILTER_LENGTH} characters`)
  const parser = new Parser(tokenize(text))
  const tree = parser.parseOr(0)
  parser.expectEnd()
  if (!isBoolean(tree)) fail('$filter must be a condition (a comparison, a boolean function, or and/or/not of those)')
  return tree
}

function fail (message: string): never {
  throw new SensorstadError('API_ERR_VALIDATION', `${message}. ${FILTER_HELP}`, '$filter')
}

function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at
    const m = pattern.exec(text)
    return m === null ? undefined : m[0]
  }
  while (at < text.length) {
    const c = text[at]!
    if (/\s/.test(c)) { at++; continue }
    if (c === '(' || c === ')' || c === ',') { tokens.push({ kind: 'punct', value: c, at }); at++; continue }
    if (c === "'") {
      let value = ''
      let i = at + 1
      for (;;) {
        if (i >= text.length) fail(`Unterminated string starting at position ${at}`)
        if (text[i] === "'") {
          if (text[i + 1] === "'") { value += "'"; i += 2; continue }
          break
        }
        value += text[i]
        i++
      }
      tokens.push({ kind: 'string', value, at })
      at = i + 1
      continue
    }
    const datetime = match(DATETIME)
    if (datetime !== undefined) {
      const ms = Date.parse(datetime)
      if (!Number.isFinite(ms)) fail(`Invalid datetime ${datetime} at position ${at}`)
      tokens.push({ kind: 'datetime', value: ms, at })
      at += datetime.length
      continue
    }
    const date = match(DATE)
    if (date !== undefined) {
      if (!Number.isFinite(Date.parse(`${date}T00:00:00Z`))) fail(`Invalid date ${date} at position ${at}`)
      tokens.push({ kind: 'date', value: date, at })
      at += date.length
      continue
    }
    const number = match(NUMBER)
    if (number !== undefined) {
      tokens.push({ kind: 'number', value: Number(number), at })
      at += number.length
      continue
    }
    const word = match(WORD)
    if (word !== undefined) {
      tokens.push({ kind: 'word', value: word, at })
      at += word.length
      continue
    }
    fail(`Unexpected character ${JSON.stringify(c)} at position ${at}`)
  }
  return tokens
}

function isBoolean (node: FilterNode): boolean {
  switch (node.type) {
    case 'or': case 'and': case 'not': case 'compare': case 'boolean': return true
    case 'call': return FUNCTIONS[node.name][1]
    default: return false
  }
}

const KEYWORDS = new Set<string>(['and', 'or', 'not', ...COMPARISONS])

class Parser {
  readonly #tokens: Token[]
  #at = 0

  constructor (tokens: Token[]) {
    this.#tokens = tokens
  }

  expectEnd (): void {
    const next = this.#tokens[this.#at]
    if (next !== undefined) fail(`Unexpected ${describe(next)} at position ${next.at}`)
  }

  parseOr (depth: number): FilterNode {
    let left = this.parseAnd(depth)
    while (this.#word('or')) left = { type: 'or', left, right: this.#logicalOperand(this.parseAnd(depth), 'or') }
    return left
  }

  parseAnd (depth: number): FilterNode {
    let left = this.parseUnary(depth)
    while (this.#word('and')) left = { type: 'and', left: this.#logicalOperand(left, 'and'), right: this.#logicalOperand(this.parseUnary(depth), 'and') }
    return left
  }

  parseUnary (depth: number): FilterNode {
    if (depth > MAX_DEPTH) fail(`$filter nests deeper than ${MAX_DEPTH} levels`)
    if (this.#word('not')) return { type: 'not', operand: this.#logicalOperand(this.parseUnary(depth + 1), 'not') }
    const left = this.#operand(depth)
    const next = this.#tokens[this.#at]
    if (next?.kind === 'word' && (COMPARISONS as readonly string[]).includes(next.value)) {
      this.#at++
      const right = this.#operand(depth)
      return { type: 'compare', op: next.value as Comparison, left, right }
    }
    if (next?.kind === 'word' && !KEYWORDS.has(next.value)) {
      fail(`Unsupported operator ${JSON.stringify(next.value)} at position ${next.at}`)
    }
    return left
  }

  #logicalOperand (node: FilterNode, op: string): FilterNode {
    if (!isBoolean(node)) fail(`${op} needs conditions on both sides`)
    return node
  }

  #operand (depth: number): FilterNode {
    const token = this.#tokens[this.#at]
    if (token === undefined) fail('$filter ends where a value or property was expected')
    this.#at++
    switch (token.kind) {
      case 'string': return { type: 'string', value: token.value }
      case 'number': return { type: 'number', value: token.value }
      case 'datetime': return { type: 'datetime', value: token.value }
      case 'date': return { type: 'date', value: token.value }
      case 'punct':
        if (token.value === '(') {
          const inner = this.parseOr(depth + 1)
          this.#punct(')')
          return inner
        }
        return fail(`Unexpected ${describe(token)} at position ${token.at}`)
      case 'word': {
        if (token.value === 'true' || token.value === 'false') return { type: 'boolean', value: token.value === 'true' }
        if (token.value === 'null') return { type: 'null' }
        if (KEYWORDS.has(token.value)) fail(`Unexpected ${JSON.stringify(token.value)} at position ${token.at}`)
        const next = this.#tokens[this.#at]
        if (next?.kind === 'punct' && next.value === '(') {
          if (!Object.hasOwn(FUNCTIONS, token.value)) fail(`Unsupported function ${token.value}() at position ${token.at}`)
          const name = token.value as FilterFunction
          this.#at++
          const args: FilterNode[] = []
          if (!this.#peekPunct(')')) {
            args.push(this.parseOr(depth + 1))
            while (this.#peekPunct(',')) {
              this.#at++
              args.push(this.parseOr(depth + 1))
            }
          }
          this.#punct(')')
          if (args.length !== FUNCTIONS[name][0]) fail(`${name}() takes ${FUNCTIONS[name][0]} argument(s), got ${args.length}`)
          return { type: 'call', name, args }
        }
        return { type: 'path', path: token.value.split('/') }
      }
    }
  }

  #word (value: string): boolean {
    const token = this.#tokens[this.#at]
    if (token?.kind === 'word' && token.value === value) {
      this.#at++
      return true
    }
    return false
  }

  #peekPunct (value: string): boolean {
    const token = this.#tokens[this.#at]
    return token?.kind === 'punct' && token.value === value
  }

  #punct (value: string): void {
    const token = this.#tokens[this.#at]
    if (token === undefined) fail(`$filter ends where ${JSON.stringify(value)} was expected`)
    if (token.kind !== 'punct' || token.value !== value) fail(`Expected ${JSON.stringify(value)} at position ${token.at}, found ${describe(token)}`)
    this.#at++
  }
}

function describe (token: Token): string {
  return token.kind === 'string' ? `'${token.value}'` : JSON.stringify(String(token.value))
}
