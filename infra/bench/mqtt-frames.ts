import mqttPacket from 'mqtt-packet'
import type { Payload } from './payloads.js'

/**
 * MQTT 3.1.1 packets for the load generator, encoded once with mqtt-packet's `generate` and
 * then only patched in place (message id, payload time), plus a minimal reader of incoming
 * packets. The generator never runs an MQTT client: a client's per-message work would be
 * measured as the broker's.
 */
export const PACKET = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBACK: 9 } as const

export function connectPacket (clientId: string, username?: string, password?: string): Buffer {
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId,
    clean: true,
    // No keepalive: an idle bench connection would otherwise need PINGREQs from the generator.
    keepalive: 0,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password: Buffer.from(password) } : {})
  })
}

export function subscribePacket (filter: string, messageId: number): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos: 0 }] })
}

export interface PublishFrame {
  bytes: Buffer
  /** Where the two bytes of the message id sit; -1 for QoS 0. */
  idOffset: number
  /** Where the payload's time digits sit; -1 when untimed. */
  timeOffset: number
  readings: number
}

/** One PUBLISH (MQTT 3.1.1 section 3.3); QoS 1 frames carry `messageId` until patched. */
export function publishFrame (topic: string, payload: Payload, qos: 0 | 1, messageId = 1): PublishFrame {
  const bytes = mqttPacket.generate({ cmd: 'publish', topic, payload: payload.bytes, qos, dup: false, retain: false, ...(qos === 1 ? { messageId } : {}) })
  const payloadStart = bytes.length - payload.bytes.length
  return {
    bytes,
    idOffset: qos === 1 ? payloadStart - 2 : -1,
    timeOffset: payload.timeOffset < 0 ? -1 : payloadStart + payload.timeOffset,
    readings: payload.readings
  }
}

/**
 * Splits a byte stream into MQTT packets without allocating per packet: `onPacket` gets the
 * packet type, the buffer and the offset and length of the packet's variable header + payload
 * (valid only during the call). Only a packet split across two reads is copied.
 */
export class FrameReader {
  #rest: Buffer | undefined

  constructor (private readonly onPacket: (type: number, data: Buffer, body: number, length: number) => void) {}

  push (chunk: Buffer): void {
    let data = chunk
    if (this.#rest !== undefined) {
      data = Buffer.concat([this.#rest, chunk])
      this.#rest = undefined
    }
    let i = 0
    while (i < data.length) {
      // Fixed header: type and flags, then the remaining length in 1 to 4 bytes (section 2.2.3).
      let length = 0
      let multiplier = 1
      let j = i + 1
      let complete = false
      while (j < data.length && j < i + 5) {
        const byte = data[j++]!
        length += (byte & 0x7f) * multiplier
        multiplier *= 128
        if ((byte & 0x80) === 0) { complete = true; break }
      }
      if (!complete || j + length > data.length) {
        this.#rest = data.subarray(i)
        return
      }
      this.onPacket(data[i]! >> 4, data, j, length)
      i = j + length
    }
  }
}
