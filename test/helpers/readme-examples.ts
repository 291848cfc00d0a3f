import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'

/**
 * The shell examples of one README section, one command each: every line of its ```sh blocks
 * that is not a comment, joined with the lines after it while a quote is open or the line
 * ends in a backslash (a JSON body over several lines is one command).
 */
export function shellExamples (markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`)
  if (start < 0) throw new Error(`the README has no section "## ${heading}"`)
  const end = markdown.indexOf('\n## ', start + 1)
  const section = markdown.slice(start, end < 0 ? undefined : end)
  const commands: string[] = []
  for (const [, block] of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let current = ''
    for (const line of block!.split('\n')) {
      if (current === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue
      current = current === '' ? line : `${current}\n${line}`
      if (!quoteOpen(current) && !current.endsWith('\\')) {
        commands.push(current)
        current = ''
      }
    }
    if (current !== '') throw new Error(`a command in "## ${heading}" never closes its quote: ${current}`)
  }
  return commands
}

/** Whether `text` ends inside a single- or double-quoted string, as bash reads it. */
function quoteOpen (text: string): boolean {
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote === undefined) {
      if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
        // A comment runs to the end of its line; quotes in it do not count.
        const eol = text.indexOf('\n', i)
        if (eol < 0) break
        i = eol
      } else if (c === '\\') i++
      else if (c === '\'' || c === '"') quote = c
    } else if (c === quote) quote = undefined
    else if (quote === '"' && c === '\\') i++
  }
  return quote !== undefined
}

export interface ExampleRun {
  command: string
  /** The shell's exit code: curl's, or mosquitto_pub's / mosquitto_sub's. */
  exitCode: number | null
  /** Every HTTP status the command's curl calls answered, in order. */
  statuses: number[]
  /** What the command printed, HTTP bodies included. */
  stdout: string
  stderr: string
}

/** Marks the end of a curl body and its status in the output, where no JSON can put it. */
const STATUS_MARK = '\u0001status:'

/**
 * Runs one example in bash as a reader would paste it, after `setup` (assignments the
 * section made before it, such as `H=...`), with `env` set and the platform's loopback ports
 * in place of the README's. curl reports each status and gives up on streams (`-N`) after
 * `streamSeconds`; mosquitto_sub stops after that many seconds.
 */
export async function runExample (command: string, options: { setup?: readonly string[], env: Record<string, string>, httpPort: number, mqttPort: number, streamSeconds?: number }): Promise<ExampleRun> {
  const wait = options.streamSeconds ?? 2
  const local = command
    .replaceAll('localhost:8080', `127.0.0.1:${options.httpPort}`)
    .replace(/-h localhost -p 1883\b/g, `-h 127.0.0.1 -p ${options.mqttPort}`)
  if (local.includes('localhost')) throw new Error(`an example the test cannot point at its platform: ${command}`)
  // A stream (-N) is cut after `wait`; any other call gets time enough for a busy machine.
  const maxTime = /(^|\s)-[a-zA-Z]*N\b/.test(command) ? wait : 30
  const prelude = [
    'set -o pipefail',
    `curl () { command curl --max-time ${maxTime} -w '${STATUS_MARK}%{http_code}\\n' "$@"; }`,
    `mosquitto_sub () { command mosquitto_sub -W ${wait} "$@"; }`,
    ...(options.setup ?? [])
  ].join('\n')
  // Not spawnSync: the platform under test usually runs in this very process.
  const child = spawn('bash', ['-c', `${prelude}\n${local}`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...options.env },
    timeout: (Math.max(wait, maxTime) + 10) * 1000
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code))
  })
  const statuses = [...stdout.matchAll(new RegExp(`${STATUS_MARK}(\\d+)`, 'g'))].map((m) => Number(m[1]))
  return { command, exitCode, statuses, stdout: stdout.replaceAll(new RegExp(`${STATUS_MARK}\\d+\\n`, 'g'), '\n'), stderr }
}

/** The JSON a curl example printed, the last body when it printed several. */
export function printedJson (run: ExampleRun): any {
  const bodies = run.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{') || l.startsWith('['))
  const last = bodies.at(-1)
  if (last === undefined) throw new Error(`no JSON in what "${run.command}" printed: ${run.stdout}`)
  return JSON.parse(last)
}
