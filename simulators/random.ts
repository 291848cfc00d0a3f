/**
 * Deterministic randomness by key: every simulated value is a pure function of a seed and
 * the moment it describes, so any instant of a simulated day can be computed directly,
 * replayed, and unit tested. Counter-based (hash of the keys), not a stream, and not for
 * anything secret.
 */

/** 32-bit FNV-1a, to turn names (kinds, zone ids) into seeds. */
export function hashString (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** lowbias32 (Chris Wellons' hash prospector): full avalanche on 32-bit words. */
function mix (x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x21f0aaad)
  x ^= x >>> 15
  x = Math.imul(x, 0x735a2d97)
  x ^= x >>> 15
  return x >>> 0
}

/** Uniform in [0, 1), fixed by the keys. Keys are floored; keys past 2^32 (epoch ms) keep their high bits. */
export function unitHash (...keys: number[]): number {
  let h = 0x9e3779b9
  for (const key of keys) {
    const k = Math.floor(key)
    h = mix(h ^ (k >>> 0))
    h = mix(h ^ (Math.floor(k / 4294967296) >>> 0))
  }
  return h / 4294967296
}

/** A 32-bit integer seed derived from the keys. */
export function seedOf (...keys: number[]): number {
  return Math.floor(unitHash(...keys) * 4294967296)
}

/** Standard normal (mean 0, sd 1) by Box-Muller over two keyed uniforms. */
export function gaussianHash (...keys: number[]): number {
  const u = 1 - unitHash(...keys, 1) // (0, 1], so log(u) is finite
  const v = unitHash(...keys, 2)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/**
 * Smooth value noise in [-1, 1]: keyed values at whole `x`, joined by smoothstep, so a
 * quantity can wander (a crowd swelling for a few minutes) without jumping between samples.
 */
export function smoothNoise (seed: number, x: number): number {
  const i = Math.floor(x)
  const f = x - i
  const s = f * f * (3 - 2 * f)
  const a = unitHash(seed, i) * 2 - 1
  const b = unitHash(seed, i + 1) * 2 - 1
  return a + (b - a) * s
}
