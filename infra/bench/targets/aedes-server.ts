/**
 * Bare aedes 1.2 for the bench: no hooks (no authentication, no ingest, no persistence beyond
 * aedes' in-memory default), the platform's aedes options where they mean the same thing
 * (broker/create-broker.ts), on a free loopback port. Prints `listening <port>`.
 */
import { createServer, type AddressInfo } from 'node:net'
import { Aedes } from 'aedes'

const aedes = await Aedes.createBroker({
  connectTimeout: 10_000,
  drainTimeout: 30_000,
  maxClientsIdLength: 64,
  maxTopicLevels: 16
})
// No Nagle, as on the platform's listeners (broker/servers.ts), so latencies compare.
const server = createServer({ noDelay: true }, aedes.handle)
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`)
})
const close = (): void => {
  server.close()
  aedes.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2_000).unref()
}
process.on('SIGTERM', close)
process.on('SIGINT', close)
