import { describe, expect, it } from 'vitest'
import { hashSecret, newSecret, VerifiedSecretCache, verifySecret } from '../../registry/secrets.js'

describe('hashSecret and verifySecret', () => {
  it('hashes to scrypt$N$r$p$salt$key with a 16-byte salt and a 32-byte key', async () => {
    const hash = await hashSecret('correct horse battery staple')
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(hash).not.toContain('correct horse')
  })

  it('verifies the secret it hashed, and no other', async () => {
    const secret = newSecret()
    const hash = await hashSecret(secret)
    expect(await verifySecret(secret, hash)).toBe(true)
    expect(await verifySecret(secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'), hash)).toBe(false)
    expect(await verifySecret(secret + 'x', hash)).toBe(false)
    expect(await verifySecret('', hash)).toBe(false)
  })

  it('salts: two hashes of one secret differ, and both verify', async () => {
    const [a, b] = await Promise.all([hashSecret('same'), hashSecret('same')])
    expect(a).not.toBe(b)
    expect(a.split('$')[4]).not.toBe(b.split('$')[4])
    expect(await verifySecret('same', a)).toBe(true)
    expect(await verifySecret('same', b)).toBe(true)
  })

  it('handles unicode secrets', async () => {
    const hash = await hashSecret('wachtwoord-Ünal-🚲')
    expect(await verifySecret('wachtwoord-Ünal-🚲', hash)).toBe(true)
    expect(await verifySecret('wachtwoord-Unal-🚲', hash)).toBe(false)
  })

  describe('a malformed stored hash verifies nothing, and does not throw', () => {
    const secret = 'the-right-secret'
    let good = ''
    const withPart = (index: number, value: string): string => {
      const parts = good.split('$')
      parts[index] = value
      return parts.join('$')
    }

    it.each([
      ['empty', () => ''],
      ['not a hash', () => 'hunter2'],
      ['another scheme', () => withPart(0, 'bcrypt')],
      ['five parts', () => good.split('$').slice(0, 5).join('$')],
      ['seven parts', () => good + '$extra'],
      ['an empty key', () => withPart(5, '')],
      ['a key truncated to one byte', () => withPart(5, good.split('$')[5]!.slice(0, 2))],
      ['N not a number', () => withPart(1, 'abc')],
      ['N not a power of two', () => withPart(1, '3')],
      ['N past the memory limit', () => withPart(1, String(2 ** 24))],
      ['r negative', () => withPart(2, '-1')],
      ['p not a number', () => withPart(3, 'x')],
      ['another salt', () => withPart(4, 'c2FsdHNhbHRzYWx0c2FsdA')]
    ])('%s', async (_, stored) => {
      good = await hashSecret(secret)
      expect(await verifySecret(secret, good)).toBe(true)
      await expect(verifySecret(secret, stored())).resolves.toBe(false)
    })
  })
})

describe('newSecret', () => {
  it('is 32 random bytes as 43 base64url characters', () => {
    const secrets = Array.from({ length: 200 }, () => newSecret())
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(secrets[0]!, 'base64url')).toHaveLength(32)
    expect(new Set(secrets).size).toBe(200)
  })
})

describe('VerifiedSecretCache', () => {
  it('matches only a remembered secret under its own key, until forgotten', () => {
    const cache = new VerifiedSecretCache()
    expect(cache.matches('sensor:a', 's3cret')).toBe(false)
    cache.remember('sensor:a', 's3cret')
    expect(cache.matches('sensor:a', 's3cret')).toBe(true)
    expect(cache.matches('sensor:a', 's3cret ')).toBe(false)
    expect(cache.matches('sensor:b', 's3cret')).toBe(false)
    cache.remember('sensor:a', 'rotated')
    expect(cache.matches('sensor:a', 's3cret')).toBe(false)
    expect(cache.matches('sensor:a', 'rotated')).toBe(true)
    cache.forget('sensor:a')
    expect(cache.matches('sensor:a', 'rotated')).toBe(false)
  })
})

describe('VerifiedSecretCache.once', () => {
  it('runs one check for concurrent calls with the same key and secret, and a new one afterwards', async () => {
    const cache = new VerifiedSecretCache()
    let checks = 0
    let release: (ok: boolean) => void = () => {}
    const check = async (): Promise<boolean> => { checks++; return await new Promise<boolean>((resolve) => { release = resolve }) }
    const results = Array.from({ length: 50 }, () => cache.once('hash-a', 'secret', check))
    expect(checks).toBe(1)
    release(true)
    expect(await Promise.all(results)).toEqual(Array(50).fill(true))
    const again = cache.once('hash-a', 'secret', async () => { checks++; return false })
    expect(await again).toBe(false)
    expect(checks).toBe(2)
  })

  it('never shares a result between different secrets or keys', async () => {
    const cache = new VerifiedSecretCache()
    const slow = (ok: boolean) => async (): Promise<boolean> => { await new Promise((resolve) => setTimeout(resolve, 10)); return ok }
    const [right, wrong, other] = await Promise.all([
      cache.once('hash-a', 'right', slow(true)),
      cache.once('hash-a', 'wrong', slow(false)),
      cache.once('hash-b', 'right', slow(false))
    ])
    expect([right, wrong, other]).toEqual([true, false, false])
  })
})
