import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/**
 * The benchmark commands as someone trying them runs them first: `--help` says what the
 * command does and starts nothing, and an unknown argument is refused with the usage rather
 * than ignored by a benchmark that then runs for minutes.
 */
const commands = [
  { script: 'bench:store', usage: 'usage: npm run bench:store' },
  { script: 'bench:query', usage: 'usage: npm run bench:query -- [--quick] [--no-influx] [--out file.json]' }
]

function npmRun (script: string, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe.each(commands)('npm run $script', ({ script, usage }) => {
  it('prints its usage for --help and exits 0 without running', async () => {
    const run = await npmRun(script, ['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(usage)
    // Nothing ran: no progress (stderr) and no result lines.
    expect(run.stderr).toBe('')
    expect(run.stdout).not.toMatch(/^(memory|duckdb): /m)
  })

  it('refuses an unknown argument with the usage and exit code 2', async () => {
    const run = await npmRun(script, ['--no-such-option'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('unknown arguments: --no-such-option')
    expect(run.stderr).toContain(usage)
  })
})
