import { describe, expect, it } from 'vitest'
import { CHANNELS, formatTopic, parseTopic, type SensorTopic } from '../../core/topics.js'

const ROOT = 'utrecht/v1'

describe('formatTopic and parseTopic', () => {
  it('formats {root}/{kind}/{sensorId}/{channel}', () => {
    expect(formatTopic(ROOT, { kind: 'crowd', sensorId: 'crowd-neude-1', channel: 'senml' })).toBe('utrecht/v1/crowd/crowd-neude-1/senml')
  })

  it.each(CHANNELS.map((channel) => [channel]))('round-trips the %s channel', (channel) => {
    const t: SensorTopic = { kind: 'wastebin', sensorId: 'bin_12.a-B', channel }
    expect(parseTopic(ROOT, formatTopic(ROOT, t))).toStrictEqual(t)
  })

  it('takes a root of one level or of several', () => {
    const t: SensorTopic = { kind: 'snuffelfiets', sensorId: 'bike-7', channel: 'json' }
    expect(parseTopic('sensorstad', 'sensorstad/snuffelfiets/bike-7/json')).toStrictEqual(t)
    expect(parseTopic('nl/utrecht/test/v1', 'nl/utrecht/test/v1/snuffelfiets/bike-7/json')).toStrictEqual(t)
    expect(parseTopic('nl/utrecht/test/v1', formatTopic('nl/utrecht/test/v1', t))).toStrictEqual(t)
  })

  it('takes ids of up to 64 characters', () => {
    const id = 'a'.repeat(64)
    expect(parseTopic(ROOT, `${ROOT}/crowd/${id}/senml`)).toStrictEqual({ kind: 'crowd', sensorId: id, channel: 'senml' })
    expect(parseTopic(ROOT, `${ROOT}/crowd/${id}a/senml`)).toBeNull()
  })

  it.each([
    ['another root', 'amersfoort/v1/crowd/s1/senml'],
    ['another version', 'utrecht/v2/crowd/s1/senml'],
    ['a root that only starts the same', 'utrecht/v10/crowd/s1/senml'],
    ['the root without a separator', 'utrecht/v1crowd/s1/senml'],
    ['the root alone', 'utrecht/v1'],
    ['a prefix of the root', 'utrecht'],
    ['a leading slash', '/utrecht/v1/crowd/s1/senml'],
    ['too few levels', 'utrecht/v1/crowd/senml'],
    ['too many levels', 'utrecht/v1/crowd/s1/senml/extra'],
    ['a trailing slash', 'utrecht/v1/crowd/s1/senml/'],
    ['an unknown channel', 'utrecht/v1/crowd/s1/xml'],
    ['a channel in capitals', 'utrecht/v1/crowd/s1/SENML'],
    ['a + wildcard as kind', 'utrecht/v1/+/s1/senml'],
    ['a + wildcard as sensor id', 'utrecht/v1/crowd/+/senml'],
    ['a # wildcard', 'utrecht/v1/crowd/#'],
    ['a # wildcard as channel', 'utrecht/v1/crowd/s1/#'],
    ['an empty kind', 'utrecht/v1//s1/senml'],
    ['an empty sensor id', 'utrecht/v1/crowd//senml'],
    ['an empty channel', 'utrecht/v1/crowd/s1/'],
    ['an id starting with a dot', 'utrecht/v1/crowd/.s1/senml'],
    ['an id with a space', 'utrecht/v1/crowd/s 1/senml'],
    ['the empty topic', '']
  ])('refuses %s', (_, topic) => {
    expect(parseTopic(ROOT, topic)).toBeNull()
  })
})
