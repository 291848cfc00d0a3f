import { parseArgs } from 'node:util'
import { TARGET_NAMES, type TargetName } from './targets/target.js'

/** Command line of `npm run bench` (`npm run bench -- --quick`). */
export interface BenchOptions {
  quick: boolean
  /** Scenario ids to run; empty: all. */
  only: string[]
  targets: TargetName[]
  /** Profile every platform run (node --cpu-prof) and print its top self-time functions. */
  cpuProf: boolean
}

export const USAGE = `Usage: npm run bench -- [--quick] [--only=id,id] [--targets=platform,aedes,mosquitto,platform-influx] [--cpu-prof]
  --quick      a cut-down set with short durations (under two minutes)
  --only       run only these scenarios (ids as printed in the table)
  --targets    run only against these brokers
  --cpu-prof   profile the platform child and print its top self-time functions per run`

export function parseOptions (argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      targets: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const list = (text: string | undefined): string[] => text === undefined ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const targets = list(values.targets)
  for (const t of targets) {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new Error(`unknown target ${t}; known: ${TARGET_NAMES.join(', ')}`)
  }
  return {
    quick: values.quick === true,
    only: list(values.only),
    targets: targets.length === 0 ? [...TARGET_NAMES] : targets as TargetName[],
    cpuProf: values['cpu-prof'] === true
  }
}
