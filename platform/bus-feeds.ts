import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { AlertsFeed } from '../api/deps.js'
import type { LiveItem } from '../api/live-feed.js'
import type { ZoneAlertState } from '../core/alerts.js'
import type { AlertStore } from '../core/ports/alert-store.js'
import type { EventBus } from '../core/ports/event-bus.js'
import type { AlertFeedItem } from '../ingest/alerts/alert-engine.js'
import { ALERTS, LIVE } from './channels.js'

/**
 * The API's live feeds, fed from the event bus rather than from engines in the same process,
 * so every API process streams the same events whichever process made them: one bus
 * subscription per process, fanned out to its SSE clients.
 */
export interface BusFeed<T> {
  subscribe (listener: (item: T) => void): () => void
}

/** /v1/live: open-data items from broker processes and the jobs leader. */
export async function openBusLiveFeed (bus: EventBus): Promise<BusFeed<LiveItem> & { close (): Promise<void> }> {
  const fanout = new EventEmitter<{ item: [LiveItem] }>()
  fanout.setMaxListeners(0)
  const unsubscribe = await bus.subscribe(LIVE, (items) => { for (const item of items) fanout.emit('item', item) })
  return {
    subscribe (listener) {
      fanout.on('item', listener)
      return () => { fanout.off('item', listener) }
    },
    close: unsubscribe
  }
}

/**
 * /v1/alerts: zone states and alert events from the jobs leader, and acknowledgements. An
 * acknowledgement taken here is stored, then published, and reaches this process's streams
 * the way it reaches every other's. The leader sends the zone states after every evaluation
 * so a process that just started has them; a state equal to the last one (but for its
 * clock) is not passed on again.
 */
export async function openBusAlertsFeed (bus: EventBus, alertStore: AlertStore, logger: Logger): Promise<AlertsFeed & { close (): Promise<void> }> {
  const fanout = new EventEmitter<{ item: [AlertFeedItem] }>()
  fanout.setMaxListeners(0)
  let states: ZoneAlertState[] = []
  let shown = JSON.stringify([])
  const unsubscribe = await bus.subscribe(ALERTS, (item) => {
    if (item.type === 'zones') {
      const key = JSON.stringify(item.zones.map(({ updatedAt, ...rest }) => rest))
      states = item.zones
      if (key === shown) return
      shown = key
    }
    fanout.emit('item', item)
  })
  const store: AlertStore = {
    append: (event) => alertStore.append(event),
    list: (query) => alertStore.list(query),
    get: (id) => alertStore.get(id),
    async acknowledge (id, ack) {
      const event = await alertStore.acknowledge(id, ack)
      // Stored already: a stream that misses the announcement still shows it in GET /v1/alerts.
      if (event !== undefined) await bus.publish(ALERTS, { type: 'alert', event }).catch((err: unknown) => logger.warn({ err }, 'acknowledgement not announced to the streams'))
      return event
    },
    deleteBefore: (before) => alertStore.deleteBefore(before),
    close: () => alertStore.close()
  }
  return {
    states: () => states,
    subscribe (listener) {
      fanout.on('item', listener)
      return () => { fanout.off('item', listener) }
    },
    store,
    close: unsubscribe
  }
}
