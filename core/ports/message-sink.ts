import type { Channel } from '../topics.js'
import type { Sensor } from '../sensor.js'

/**
 * Where the broker hands an authorised message from a sensor. The broker does not parse
 * payloads; ingest does. `accept` resolves once the message is durably handled (its readings
 * written, or it was rejected and the sensor told why), and only then does the broker send
 * the QoS 1 PUBACK (DESIGN.md section 6). It rejects only when the message could not be
 * handled (store down): the broker then withholds the PUBACK so the sensor sends it again.
 */
export interface SensorMessage {
  sensor: Sensor
  channel: Channel
  payload: Buffer
  qos: 0 | 1 | 2
  /** Epoch ms at which the broker received the message. */
  receivedAt: number
}

export interface MessageSink {
  accept (message: SensorMessage): Promise<void>
}
