import type { KindDefinition } from './kind.js'

/**
 * The one list of names whose values must never reach a log line (privacy rule 10, STYLE.md
 * habit 3): secrets, raw payloads, and every field a kind marks as a location or internal,
 * which the open-data API withholds for the same reason. pino's `redact` is built from it.
 */
export const SECRET_NAMES = ['password', 'secret', 'secretHash', 'token', 'authorization', 'payload'] as const

/** Field names of privacy class `location` or `internal` across the given kinds. */
export function withheldFieldNames (kinds: Iterable<KindDefinition>): string[] {
  const names = new Set<string>()
  for (const kind of kinds) {
    for (const [name, spec] of Object.entries(kind.fields)) {
      if (spec.privacy !== 'open') names.add(name)
    }
  }
  return [...names].sort()
}

/** pino redact paths for `names`, at the top level and one level down. */
export function redactPaths (names: Iterable<string>): string[] {
  return [...names].flatMap((name) => [name, `*.${name}`]).concat('req.headers.authorization')
}
