import { smoothNoise } from './random.js'
import { DAY_MS, utrechtTime } from './local-time.js'

/**
 * Outdoor air in Utrecht: a season, a day/night swing and spells of warmer or colder days.
 * Shaped on the KNMI De Bilt normals 1991-2020 (daily mean about 3.5 Cel in mid January,
 * 18.5 Cel in mid July; the day is warmest around 15:00 and most humid before dawn).
 */
export interface Ambient {
  /** Cel */
  temperature: number
  /** %RH, 0-100 */
  relativeHumidity: number
}

const YEAR_DAYS = 365.25

export function ambientAt (ms: number, seed: number): Ambient {
  const t = utrechtTime(ms)
  const season = Math.cos((2 * Math.PI * (t.dayOfYear - 15)) / YEAR_DAYS) // 1 in mid January, -1 in mid July
  const daily = Math.cos((2 * Math.PI * (t.hour - 15)) / 24) // 1 at 15:00, -1 at 03:00
  // A weather spell lasts a few days: noise sampled per 2.5 days.
  const spell = smoothNoise(seed ^ 0x5eed, ms / DAY_MS / 2.5)
  const temperature = 11 - 7.5 * season + 3.5 * daily + 4 * spell
  const relativeHumidity = 79 + 6 * season - 13 * daily - 6 * spell + 4 * smoothNoise(seed ^ 0xa1, ms / 3_600_000)
  return {
    temperature,
    relativeHumidity: Math.min(99, Math.max(25, relativeHumidity))
  }
}
