import type { Duplex } from 'node:stream'

/**
 * Enforces a maximum MQTT packet size while reading, from the fixed header (MQTT 3.1.1
 * section 2.2.3, remaining length as a variable byte integer), before the parser buffers the
 * announced body. The parser (mqtt-packet) would otherwise collect up to 256 MB per packet.
 *
 * aedes pulls from the stream with `read()`; wrapping that one method on the connection
 * inspects exactly the bytes handed to the parser, with no copy and no extra stream.
 */
export function guardPacketSize (stream: Duplex, maxBytes: number, onViolation: (announced: number) => void): void {
  let state: 'header' | 'length' | 'body' = 'header'
  let length = 0
  let lengthBytes = 0
  let remaining = 0
  let violated = false

  const inspect = (chunk: Buffer): boolean => {
    let i = 0
    while (i < chunk.length) {
      if (state === 'body') {
        const take = Math.min(remaining, chunk.length - i)
        remaining -= take
        i += take
        if (remaining === 0) state = 'header'
        continue
      }
      const byte = chunk[i++]!
      if (state === 'header') {
        state = 'length'
        length = 0
        lengthBytes = 0
        continue
      }
      length += (byte & 0x7f) * 128 ** lengthBytes
      lengthBytes++
      const more = (byte & 0x80) !== 0
      // At most four length bytes; a continuation bit on the fourth is malformed (section 2.2.3).
      if (more && lengthBytes === 4) return reject(Number.POSITIVE_INFINITY)
      if (!more) {
        // The fixed header is the type byte plus the length bytes.
        if (1 + lengthBytes + length > maxBytes) return reject(length)
        remaining = length
        state = remaining === 0 ? 'header' : 'body'
      }
    }
    return true
  }

  const reject = (announced: number): false => {
    violated = true
    onViolation(announced)
    stream.destroy()
    return false
  }

  const read = stream.read.bind(stream)
  stream.read = function guardedRead (size?: number) {
    if (violated) return null
    const chunk = read(size) as Buffer | null
    if (chunk === null || !Buffer.isBuffer(chunk)) return chunk
    return inspect(chunk) ? chunk : null
  }
}
