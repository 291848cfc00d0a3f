/**
 * Counts failed attempts by key (a remote IP, a user name) in a fixed window that opens at the
 * first failure, pure: the clock is handed in. At `max` failures the key is blocked until its
 * window ends. Attempts refused while blocked are not counted, so a block never outlasts its
 * window. Expired windows are forgotten and at most `maxKeys` are held, so a scan of made-up
 * user names cannot grow memory without bound.
 */
export interface AttemptLimiter {
  /** True while `key` has used up its failures in the current window. */
  blocked (key: string): boolean
  /** Records one failed attempt for `key`. */
  fail (key: string): void
  readonly size: number
}

interface Window { failures: number, endsAt: number }

export function createAttemptLimiter (options: { max: number, windowMs: number, now: () => number, maxKeys?: number }): AttemptLimiter {
  const maxKeys = options.maxKeys ?? 100_000
  const windows = new Map<string, Window>()

  function current (key: string, now: number): Window | undefined {
    const window = windows.get(key)
    if (window !== undefined && window.endsAt <= now) {
      windows.delete(key)
      return undefined
    }
    return window
  }

  function sweep (now: number): void {
    for (const [key, window] of windows) if (window.endsAt <= now) windows.delete(key)
    // Map order is insertion order, so these are the windows that end soonest.
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break
      windows.delete(key)
    }
  }

  return {
    blocked (key) {
      return (current(key, options.now())?.failures ?? 0) >= options.max
    },
    fail (key) {
      const now = options.now()
      const window = current(key, now)
      if (window !== undefined) {
        window.failures++
        return
      }
      if (windows.size >= maxKeys) sweep(now)
      windows.set(key, { failures: 1, endsAt: now + options.windowMs })
    },
    get size () { return windows.size }
  }
}
