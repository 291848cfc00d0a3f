import pg from 'pg'
import type { RegistryChange, RegistryTable } from '../core/ports/registry-store.js'
import { REGISTRY_CHANNEL } from './postgres-migrations.js'

/**
 * Hears the register's NOTIFYs (see postgres-migrations.ts) on a connection of its own, since
 * a pooled connection would be handed to queries and LISTEN is per connection. Notifications
 * sent while no connection listens are lost for good, so every time LISTEN takes effect,
 * the first time included, listeners get `reload`. A lost connection is retried with
 * exponential backoff and jitter, so a restarted server is not met by every process at once;
 * a heartbeat query finds a connection that died without a word (a dropped NAT entry, a
 * failover) within `heartbeatMs` plus the query timeout.
 */
export interface ChangeListenerOptions {
  connectionString: string
  onError: (err: Error) => void
  /** First reconnect delay, doubled per failed attempt up to `reconnectMaxMs`. */
  reconnectMinMs: number
  reconnectMaxMs: number
  heartbeatMs: number
}

const TABLES: ReadonlySet<string> = new Set<RegistryTable>(['sensors', 'zones', 'credentials', 'tokens'])
/** Milliseconds before a connect or a heartbeat counts as failed. */
const TIMEOUT_MS = 5_000

export class PostgresChangeListener {
  readonly #options: ChangeListenerOptions
  readonly #listeners = new Set<(change: RegistryChange) => void>()
  #client: pg.Client | undefined
  #retry: NodeJS.Timeout | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #failures = 0

  constructor (options: ChangeListenerOptions) {
    this.#options = options
  }

  /** Starts listening with the first listener, stops with the last. */
  add (listener: (change: RegistryChange) => void): () => void {
    this.#listeners.add(listener)
    if (this.#listeners.size === 1) this.#reconnect()
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) this.stop()
    }
  }

  stop (): void {
    this.#listeners.clear()
    clearTimeout(this.#retry)
    this.#retry = undefined
    const client = this.#client
    if (client !== undefined) this.#drop(client)
  }

  #reconnect (): void {
    // #connect reports its own failures; this catch only keeps a bug from going unheard.
    this.#connect().catch(this.#options.onError)
  }

  async #connect (): Promise<void> {
    this.#retry = undefined
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      fallback_application_name: 'sensorstad-registry-listener',
      keepAlive: true,
      connectionTimeoutMillis: TIMEOUT_MS,
      query_timeout: TIMEOUT_MS
    })
    this.#client = client
    // Stays attached for the client's life: an 'error' without a handler ends the process.
    client.on('error', (err) => this.#lost(client, err))
    client.on('end', () => this.#lost(client, new Error('registry change listener: connection closed')))
    client.on('notification', (message) => this.#notify(message))
    try {
      await client.connect()
      await client.query(`LISTEN ${REGISTRY_CHANNEL}`)
    } catch (err) {
      this.#lost(client, err as Error)
      return
    }
    if (this.#client !== client) return
    this.#failures = 0
    this.#heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((err: Error) => this.#lost(client, err))
    }, this.#options.heartbeatMs)
    this.#emit({ type: 'reload' })
  }

  #lost (client: pg.Client, err: Error): void {
    if (this.#client !== client) return
    this.#drop(client)
    this.#options.onError(err)
    if (this.#listeners.size === 0) return
    const { reconnectMinMs, reconnectMaxMs } = this.#options
    const ceiling = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** this.#failures++)
    this.#retry = setTimeout(() => this.#reconnect(), ceiling * (0.5 + Math.random() / 2))
  }

  #drop (client: pg.Client): void {
    this.#client = undefined
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    client.end().catch(() => {})
  }

  #notify (message: pg.Notification): void {
    if (message.channel !== REGISTRY_CHANNEL || message.payload === undefined) return
    let change: unknown
    try { change = JSON.parse(message.payload) } catch { return }
    const { table, id } = (change ?? {}) as { table?: unknown, id?: unknown }
    if (typeof table !== 'string' || !TABLES.has(table) || typeof id !== 'string') return
    this.#emit({ type: 'changed', table: table as RegistryTable, id })
  }

  #emit (change: RegistryChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change)
      } catch (err) {
        this.#options.onError(err as Error)
      }
    }
  }
}
