import type { READING_CHANNELS } from '../../core/topics.js'
import type { Decoder } from './decoder.js'
import { decodeJson } from './json.js'
import { decodeSenml } from './senml.js'

export type { DecodedGroup, Decoder } from './decoder.js'

/** One decoder per reading channel (DESIGN.md section 3); a new format is a new file and a row here. */
export const DECODERS: Record<typeof READING_CHANNELS[number], Decoder> = {
  senml: decodeSenml,
  json: decodeJson
}
