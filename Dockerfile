# Sensorstad: the whole platform (MQTT broker, ingest, HTTP API, jobs) in one Node process.
#   docker build -t sensorstad .
#   docker run -p 8080:8080 -p 1883:1883 -p 8083:8083 -v sensorstad-data:/data sensorstad
# Settings are environment variables (.env.example); INFLUX_URL switches time series to InfluxDB.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. A full `npm ci`, not
# --omit=dev: the platform runs TypeScript through tsx, which is a devDependency. The DuckDB
# bindings come prebuilt for linux x64/arm64 (glibc), so no compiler is needed.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

# The source, owned by root and read-only for the user that runs it.
COPY . .

# The embedded stores (registry.duckdb, timeseries.duckdb, grid.duckdb) live in DATA_DIR.
# The directory is created here, owned by `node`, so a fresh named volume inherits that owner.
ENV DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

# HTTP API (HTTP_PORT), MQTT (MQTT_PORT), MQTT over WebSocket (MQTT_WS_PORT): the config defaults.
EXPOSE 8080 1883 8083

USER node

# `npm start` with the TypeScript loader, but as one node process: main.ts closes cleanly on
# SIGTERM (queued readings are written first), and npm or npx in between would exit on the
# signal without passing it on, leaving the platform to be killed by `docker stop`.
CMD ["node", "--import", "tsx", "main.ts"]
