/**
 * Whether a UTF-8 string from the wire may serve as a client id, user name or topic.
 *
 * MQTT 3.1.1 section 1.5.3: no U+0000 [MQTT-1.5.3-2] and no surrogate code points
 * [MQTT-1.5.3-1]; control characters U+0001..U+001F, U+007F..U+009F and non-characters
 * (U+FFFE, U+FFFF, ...) SHOULD NOT occur, and a server may refuse them. We do: an id or topic
 * holding them can only confuse logs, terminals and the code that compares strings.
 *
 * The parser (mqtt-packet) decodes with `Buffer#toString('utf8')`, which turns invalid UTF-8
 * into U+FFFD, so a U+FFFD here stands for bytes that were not UTF-8 and is refused too.
 * An empty string is refused: a zero-length client id would get a name made up by aedes
 * [MQTT-3.1.3-6], and no sensor, user or topic of ours is empty.
 */
// With the `u` flag the surrogate range matches only lone surrogates, not pairs.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff]/u

export function validMqttString (value: string | undefined): boolean {
  if (value === undefined || value.length === 0 || FORBIDDEN.test(value)) return false
  // Non-characters of the supplementary planes: U+nFFFE and U+nFFFF.
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code > 0xffff && (code & 0xfffe) === 0xfffe) return false
  }
  return true
}
