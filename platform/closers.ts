import type { Logger } from 'pino'

/**
 * What a process opened, closed in the reverse order: the last thing opened (the HTTP
 * server) is the first to close, the stores it reads from the last. A closer that fails is
 * logged and the others still run.
 */
export class Closers {
  readonly #closers: Array<() => Promise<void> | void> = []
  readonly #logger: Logger

  constructor (logger: Logger) {
    this.#logger = logger
  }

  add (closer: () => Promise<void> | void): void {
    this.#closers.push(closer)
  }

  async close (): Promise<void> {
    for (const closer of this.#closers.splice(0).reverse()) {
      try { await closer() } catch (err) { this.#logger.error({ err }, 'error while closing') }
    }
  }
}
