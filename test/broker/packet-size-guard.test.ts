import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { guardPacketSize } from '../../broker/packet-size-guard.js'

/** MQTT fixed header: type byte, then remaining length as a variable byte integer. */
function header (type: number, length: number): Buffer {
  const bytes = [type]
  do {
    let byte = length % 128
    length = Math.floor(length / 128)
    if (length > 0) byte |= 0x80
    bytes.push(byte)
  } while (length > 0)
  return Buffer.from(bytes)
}

function guarded (max: number): { stream: PassThrough, violations: number[] } {
  const stream = new PassThrough()
  const violations: number[] = []
  guardPacketSize(stream, max, (announced) => violations.push(announced))
  return { stream, violations }
}

describe('packet size guard', () => {
  it('passes packets up to the limit through unchanged, split anywhere', () => {
    const { stream, violations } = guarded(1000)
    const packets = Buffer.concat([header(0x30, 200), Buffer.alloc(200, 1), header(0xc0, 0), header(0x30, 997), Buffer.alloc(997, 2)])
    let seen = Buffer.alloc(0)
    for (let i = 0; i < packets.length; i += 7) {
      stream.write(packets.subarray(i, i + 7))
      const chunk = stream.read() as Buffer | null
      if (chunk !== null) seen = Buffer.concat([seen, chunk])
    }
    expect(violations).toEqual([])
    expect(seen.equals(packets)).toBe(true)
    expect(stream.destroyed).toBe(false)
  })

  it('closes the stream as soon as a header announces more than the limit, before the body', () => {
    const { stream, violations } = guarded(65_536)
    // 256 MB announced: the largest the protocol allows.
    stream.write(header(0x30, 268_435_455))
    expect(stream.read()).toBeNull()
    expect(violations).toEqual([268_435_455])
    expect(stream.destroyed).toBe(true)
  })

  it('counts the fixed header in the limit', () => {
    const { stream, violations } = guarded(100)
    stream.write(Buffer.concat([header(0x30, 98), Buffer.alloc(98)]))
    expect(stream.read()).not.toBeNull()
    stream.write(Buffer.concat([header(0x30, 99), Buffer.alloc(99)]))
    expect(stream.read()).toBeNull()
    expect(violations).toEqual([99])
  })

  it('refuses a remaining length with a fifth continuation byte (MQTT 3.1.1 section 2.2.3)', () => {
    const { stream, violations } = guarded(Number.MAX_SAFE_INTEGER)
    stream.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))
    expect(stream.read()).toBeNull()
    expect(violations).toHaveLength(1)
  })
})
