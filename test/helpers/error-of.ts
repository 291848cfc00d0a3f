import { isSensorstadError, type SensorstadError } from '../../core/errors.js'

/** The SensorstadError `fn` throws; fails the test if it throws nothing or something else. */
export function errorOf (fn: () => unknown): SensorstadError {
  try {
    fn()
  } catch (err) {
    if (isSensorstadError(err)) return err
    throw err
  }
  throw new Error('expected a SensorstadError, but nothing was thrown')
}
