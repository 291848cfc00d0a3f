import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Logger } from 'pino'
import type { SensorBroker } from './create-broker.js'
import { guardPacketSize } from './packet-size-guard.js'

/**
 * The broker's listeners: MQTT over TCP, MQTT over WebSocket on path `/mqtt` (subprotocol
 * `mqtt`, MQTT 3.1.1 section 6) and, when configured, MQTT over TLS (section 5.1). Every
 * connection passes the packet-size guard first.
 */
export interface MqttListenOptions {
  host: string
  port: number
  wsPort: number
  maxPacketBytes: number
  /** MQTT over TLS on its own host and port; cert and key are PEM. */
  tls?: { host: string, port: number, cert: Buffer, key: Buffer }
  logger: Logger
}

export interface MqttServers {
  tcpPort: number
  wsPort: number
  /** Undefined when no TLS listener was asked for. */
  tlsPort: number | undefined
  /** Stops taking new connections; open ones go on, so their PUBACKs can still be sent. */
  stopAccepting (): void
  /** Resolves when every socket has handed its buffered bytes to the kernel, or after timeoutMs. */
  drain (timeoutMs: number): Promise<void>
  close (): Promise<void>
}

export async function listenMqtt (broker: SensorBroker, options: MqttListenOptions): Promise<MqttServers> {
  const { logger } = options
  const oversize = (remote: string | undefined) => (announced: number) =>
    logger.warn({ remote, announced, max: options.maxPacketBytes }, 'mqtt packet over the size limit; connection closed')

  // Tracked so that close() ends them: a net server's close waits for every socket.
  const sockets = new Set<Socket>()
  const accept = (socket: Socket): void => {
    // A PUBACK is a 4-byte packet: with Nagle on, it waits for the sensor's delayed ACK.
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    guardPacketSize(socket, options.maxPacketBytes, oversize(socket.remoteAddress))
    broker.aedes.handle(socket)
  }
  const tcp = createServer(accept)

  // TLS 1.0 and 1.1 are deprecated (RFC 8996); pinned here so a process started with
  // --tls-min-v1.0 or a laxer OpenSSL configuration still refuses them on this listener.
  const tls = options.tls === undefined
    ? undefined
    : createTlsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, accept)
  // A failed handshake (plain MQTT on the TLS port, an old protocol, an untrusted client) is
  // the client's problem, not the broker's; debug, so port scans do not flood the log.
  tls?.on('tlsClientError', (err, socket) => logger.debug({ err, remote: socket.remoteAddress }, 'mqtt tls handshake failed'))

  const http = createHttpServer((_req, res) => { res.writeHead(426, { Upgrade: 'websocket' }).end('MQTT over WebSocket: connect to /mqtt\n') })
  const wss = new WebSocketServer({
    server: http,
    path: '/mqtt',
    maxPayload: options.maxPacketBytes,
    handleProtocols: (protocols) => protocols.has('mqtt') ? 'mqtt' : (protocols.has('mqttv3.1') ? 'mqttv3.1' : false)
  })
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws)
    stream.on('error', () => stream.destroy())
    guardPacketSize(stream, options.maxPacketBytes, oversize(req.socket.remoteAddress))
    broker.aedes.handle(stream, req)
  })

  await listen(tcp, options.port, options.host)
  await listen(http, options.wsPort, options.host)
  if (tls !== undefined && options.tls !== undefined) await listen(tls, options.tls.port, options.tls.host)

  return {
    tcpPort: (tcp.address() as AddressInfo).port,
    wsPort: (http.address() as AddressInfo).port,
    tlsPort: tls === undefined ? undefined : (tls.address() as AddressInfo).port,
    stopAccepting () {
      // Server.close stops listening at once; its callback waits for the open sockets.
      for (const server of [tcp, http, tls]) if (server?.listening === true) server.close()
    },
    async drain (timeoutMs) {
      const deadline = Date.now() + timeoutMs
      const busy = (): boolean => [...sockets].some((s) => !s.destroyed && s.writableLength > 0) ||
        [...wss.clients].some((ws) => ws.bufferedAmount > 0)
      while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
    },
    async close () {
      for (const client of wss.clients) client.terminate()
      for (const socket of sockets) socket.destroy()
      await Promise.all([closeServer(tcp), closeServer(http), ...(tls === undefined ? [] : [closeServer(tls)])])
    }
  }
}

function listen (server: Server | ReturnType<typeof createHttpServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function closeServer (server: Server | ReturnType<typeof createHttpServer>): Promise<void> {
  if (!server.listening) return Promise.resolve()
  return new Promise((resolve) => server.close(() => resolve()))
}
