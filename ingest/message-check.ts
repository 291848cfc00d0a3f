import { SensorstadError } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'
import type { Reading } from '../core/reading.js'
import { DECODERS } from './decoders/index.js'
import { IDENTIFIER_LABELS, scanPayload } from './privacy/identifiers.js'
import { compileKind, type KindValidator } from './validate.js'

/**
 * The part of ingest that needs nothing but the message and its kind: identifier scan,
 * decode, validation against the kind. Pure, so it can run on another thread
 * (check-thread.ts); what needs the register or the stores (crowd counts against a zone's
 * capacity, rides) stays in Ingest.
 */

export interface MessageToCheck {
  sensorId: string
  kind: string
  /** A reading channel: `senml` or `json`. */
  channel: string
  payload: Buffer
  /** Receive time, epoch ms: "now" for validation. */
  now: number
}

export class MessageChecker {
  readonly #validators = new Map<string, KindValidator>()
  readonly #maxFutureMs: number

  /** `maxFutureS`: how far past its receive time a reading may be (clock skew of devices). */
  constructor (kinds: Iterable<KindDefinition>, maxFutureS: number) {
    for (const kind of kinds) this.#validators.set(kind.id, compileKind(kind))
    this.#maxFutureMs = maxFutureS * 1000
  }

  /** The message's readings; throws SensorstadError with the reason it is refused. */
  check (message: MessageToCheck): Reading[] {
    const decode = DECODERS[message.channel as keyof typeof DECODERS]
    const validator = this.#validators.get(message.kind)
    if (decode === undefined || validator === undefined) {
      throw new SensorstadError('INGEST_ERR_SENSOR', `No decoder for channel ${message.channel} of kind ${message.kind}`)
    }
    // Privacy rule 3 looks at the raw bytes, before any parser could hide a duplicate key.
    if (validator.kind.privacy.refuseIdentifiers) {
      const found = scanPayload(message.payload, message.sensorId)
      if (found !== undefined) {
        throw new SensorstadError('INGEST_ERR_IDENTIFIER', `Looks like ${IDENTIFIER_LABELS[found.kind]}; identifiers are refused (privacy rule 3)`, found.field)
      }
    }
    const groups = decode(message.payload, message.now)
    return validator.toReadings(groups, { sensorId: message.sensorId, now: message.now, maxFutureMs: this.#maxFutureMs })
  }
}
