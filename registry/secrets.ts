import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

/**
 * Sensor secrets and API tokens are stored as scrypt hashes only (RFC 7914). Parameters:
 * N=2^14, r=8, p=1, 32-byte key: about 16 MiB and ~40 ms per hash on the reference machine,
 * the OWASP minimum for scrypt. The format keeps the parameters so they can be raised later.
 */
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number, r: number, p: number, maxmem: number }) => Promise<Buffer>
const PARAMS = { N: 16_384, r: 8, p: 1 }
const KEY_BYTES = 32
/** Shortest stored key accepted (128 bits), so the key length can still be raised later. */
const MIN_KEY_BYTES = 16

/** A new random secret: 32 bytes (256 bits), base64url. */
export function newSecret (): string {
  return randomBytes(32).toString('base64url')
}

export async function hashSecret (secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(secret, salt, KEY_BYTES, { ...PARAMS, maxmem: 64 * 1024 * 1024 })
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Constant-time comparison of a presented secret with a stored hash. */
export async function verifySecret (secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hash, 'base64url')
  // A damaged row must fail closed: an empty key would equal any secret's empty key, and a
  // short one is the prefix of every longer key, so it would match with odds of 2^-(8 * bytes).
  if (expected.length < MIN_KEY_BYTES) return false
  let actual: Buffer
  try {
    actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, {
      N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024
    })
  } catch {
    // Parameters scrypt refuses (N not a power of two, r negative, past maxmem): a damaged row.
    return false
  }
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/**
 * Remembers secrets that verified, as SHA-256 digests in memory only, so a reconnect storm
 * of a thousand sensors costs a thousand hash look-ups instead of 40 s of scrypt. A rotate
 * or suspend forgets the entry.
 */
export class VerifiedSecretCache {
  readonly #digests = new Map<string, Buffer>()
  readonly #inFlight = new Map<string, Promise<boolean>>()

  matches (key: string, secret: string): boolean {
    const known = this.#digests.get(key)
    return known !== undefined && timingSafeEqual(known, digest(secret))
  }

  remember (key: string, secret: string): void {
    this.#digests.set(key, digest(secret))
  }

  forget (key: string): void {
    this.#digests.delete(key)
  }

  /**
   * Runs `check` (scrypt) once for concurrent calls with the same key and secret: after a
   * restart, a fleet provisioned with one credential, or one sensor retrying fast, would
   * otherwise run one scrypt per connection attempt. Different secrets never share a result.
   */
  once (key: string, secret: string, check: () => Promise<boolean>): Promise<boolean> {
    const id = `${key}\n${digest(secret).toString('base64')}`
    let pending = this.#inFlight.get(id)
    if (pending === undefined) {
      pending = check().finally(() => this.#inFlight.delete(id))
      this.#inFlight.set(id, pending)
    }
    return pending
  }
}

function digest (secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}
