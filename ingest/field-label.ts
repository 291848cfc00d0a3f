/** Longest field name repeated back in an error, in UTF-16 code units. */
export const MAX_FIELD_LABEL = 64

/**
 * A field name as it may appear in an error: cut to 64 characters. Errors go back to the
 * sensor and into counters, never the payload itself (DESIGN.md section 5), so a name is
 * the only part of a message that is repeated, and a long one could still carry data.
 */
export function fieldLabel (name: string): string {
  return name.length <= MAX_FIELD_LABEL ? name : name.slice(0, MAX_FIELD_LABEL)
}

/** The field name quoted for a message; JSON escaping keeps control characters out of logs. */
export function quoteField (name: string): string {
  return JSON.stringify(fieldLabel(name))
}
