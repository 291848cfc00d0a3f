import neostandard from 'neostandard'

// One linter for the whole repo (neostandard, as the Fastify family uses), plus the import
// boundaries of DESIGN.md section 4: core imports nothing of ours, the api never imports the
// broker, simulators import only core, and so does the admin command (cli/), which talks to a
// running platform over HTTP. db/ (the DuckDB file and PostgreSQL plumbing) serves the
// persistence of registry/ and store/ and imports only core.
const boundary = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] }
})
const ours = (folders) => folders.map((f) => ({ group: [`**/${f}/*`, `../${f}/*`, `../../${f}/*`], message: `this folder may not import ${f}/ (DESIGN.md section 4)` }))

export default [
  ...neostandard({ ts: true, ignores: ['node_modules', 'data', 'coverage', 'test-artifacts'] }),
  // The dashboards' page scripts run in the browser (no bundler), with Leaflet as window.L.
  {
    files: ['api/dashboard/**/*.js', 'api/map/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(['window', 'document', 'fetch', 'sessionStorage', 'AbortController', 'TextDecoderStream', 'CSS', 'Intl'].map((name) => [name, 'readonly']))
    }
  },
  boundary(['core/**'], ours(['registry', 'broker', 'ingest', 'store', 'api', 'simulators', 'cluster', 'platform', 'db', 'cli'])),
  boundary(['db/**'], ours(['registry', 'broker', 'ingest', 'store', 'api', 'simulators', 'cluster', 'platform', 'cli'])),
  boundary(['cluster/**'], ours(['registry', 'broker', 'ingest', 'store', 'api', 'simulators', 'platform', 'db', 'cli'])),
  boundary(['api/**'], ours(['broker', 'simulators', 'cluster', 'platform', 'db', 'cli'])),
  boundary(['broker/**'], ours(['ingest', 'store', 'api', 'simulators', 'cluster', 'platform', 'db', 'cli'])),
  boundary(['ingest/**'], ours(['broker', 'api', 'simulators', 'store', 'cluster', 'platform', 'db', 'cli'])),
  boundary(['store/**'], ours(['registry', 'broker', 'ingest', 'api', 'simulators', 'cluster', 'platform', 'cli'])),
  boundary(['registry/**'], ours(['broker', 'ingest', 'store', 'api', 'simulators', 'cluster', 'platform', 'cli'])),
  boundary(['simulators/**'], ours(['registry', 'broker', 'ingest', 'store', 'api', 'cluster', 'platform', 'db', 'cli'])),
  boundary(['cli/**'], ours(['registry', 'broker', 'ingest', 'store', 'api', 'simulators', 'cluster', 'platform', 'db']))
]
