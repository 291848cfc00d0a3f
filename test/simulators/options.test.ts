import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config.js'
import { parseOptions, UsageError } from '../../simulators/options.js'

const config = loadConfig({ HTTP_PORT: '9090', MQTT_PORT: '1999', DATA_DIR: '/var/lib/sensorstad', ADMIN_TOKEN: 'a'.repeat(24) })

describe('parseOptions', () => {
  it('takes its defaults from the platform config', () => {
    const o = parseOptions([], config)
    expect(o.url).toBe('http://127.0.0.1:9090')
    expect(o.mqtt).toBe('mqtt://127.0.0.1:1999')
    expect(o.token).toBe('a'.repeat(24))
    expect(o.credentials).toBe('/var/lib/sensorstad/simulator-credentials.json')
    expect(o.counts).toEqual({ crowd: 6, bikes: 5, bins: 10 })
    expect(o).toMatchObject({ mode: 'normal', qos: 1, speed: 1, durationS: 0, max: Infinity, rate: undefined })
  })

  it('simulates only the kinds asked for once any count is given', () => {
    expect(parseOptions(['--bikes', '3'], config).counts).toEqual({ crowd: 0, bikes: 3, bins: 0 })
  })

  it('reads rates as decimals or fractions, and bounds load mode by --max', () => {
    expect(parseOptions(['--rate', '1/60'], config).rate).toBeCloseTo(1 / 60)
    expect(parseOptions(['--rate', '0.5', '--speed', '60'], config)).toMatchObject({ rate: 0.5, speed: 60 })
    expect(parseOptions(['--mode', 'load'], config).max).toBe(100_000)
    expect(parseOptions(['--mode', 'load', '--max', '500'], config).max).toBe(500)
  })

  it('refuses what it cannot honour with a message naming the option', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--crowd', '-1'], /--crowd/],
      [['--crowd', '0'], /no devices/],
      [['--rate', 'fast'], /--rate/],
      [['--rate', '0'], /--rate/],
      [['--rate', '10', '--speed', '1000'], /--mode load/],
      [['--mode', 'chaos'], /--mode/],
      [['--qos', '2'], /--qos/],
      [['--mode', 'load', '--qos', '0'], /--qos 1/],
      [['--mqtt', 'http://localhost'], /--mqtt/],
      [['--start', 'yesterday'], /--start/],
      [['--duration', '-5'], /--duration/],
      [['--bogus'], /bogus/]
    ]
    for (const [argv, message] of bad) expect(() => parseOptions(argv, config), argv.join(' ')).toThrow(message)
    expect(() => parseOptions(['--bogus'], config)).toThrow(UsageError)
  })
})
