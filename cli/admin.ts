/**
 * The admin command: `npm run admin -- <command>`, see cli/admin-command.ts and `--help`.
 * It talks to a running platform over its admin API; it opens no store itself.
 */
import { text } from 'node:stream/consumers'
import { runAdmin } from './admin-command.js'

process.exitCode = await runAdmin(process.argv.slice(2), process.env, {
  stdout: (chunk) => { process.stdout.write(chunk) },
  stderr: (chunk) => { process.stderr.write(chunk) },
  stdin: () => text(process.stdin)
})
