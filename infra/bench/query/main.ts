/**
 * The query benchmarks of issue #8 on their own: `npx tsx infra/bench/query/main.ts [--quick]
 * [--no-influx] [--out file.json]`. Progress goes to stderr, the table to stdout; with
 * `--out`, the whole result as JSON too. The main bench calls `runQueryBench` itself.
 */
import { writeFileSync } from 'node:fs'
import { formatQueryReport } from './report.js'
import { runQueryBench } from './run-query-bench.js'

const args = process.argv.slice(2)
const outIndex = args.indexOf('--out')
const out = outIndex === -1 ? undefined : args[outIndex + 1]
const USAGE = 'usage: npm run bench:query -- [--quick] [--no-influx] [--out file.json]\n'
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const unknown = args.filter((a, i) => !['--quick', '--no-influx', '--out'].includes(a) && (outIndex === -1 || i !== outIndex + 1))
if (unknown.length > 0 || (outIndex !== -1 && out === undefined)) {
  process.stderr.write(`unknown arguments: ${args.join(' ')}\n${USAGE}`)
  process.exit(2)
}

const started = Date.now()
const result = await runQueryBench({
  quick: args.includes('--quick'),
  influx: !args.includes('--no-influx'),
  progress: (line) => process.stderr.write(`[${Math.round((Date.now() - started) / 1000)} s] ${line}\n`)
})
if (out !== undefined) writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
process.stdout.write(formatQueryReport(result) + '\n')
