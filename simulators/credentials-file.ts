import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'

/**
 * Sensors the simulator registered earlier, so a second run reuses them instead of filling
 * the register with new ones. The file holds secrets: it is written with mode 0600.
 */
export const credentialSchema = z.object({
  id: z.string().min(1),
  kind: z.string().min(1),
  password: z.string().min(1)
})
export type Credential = z.infer<typeof credentialSchema>

export class CredentialsFileError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'CredentialsFileError'
  }
}

/** The saved credentials, or none when the file does not exist yet. */
export async function readCredentials (file: string): Promise<Credential[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new CredentialsFileError(`cannot read ${file} (${(err as Error).message}): fix its permissions or pass --credentials`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CredentialsFileError(`${file} is not JSON: delete it, or pass --fresh to register new sensors`)
  }
  const parsed = z.array(credentialSchema).safeParse(json)
  if (!parsed.success) throw new CredentialsFileError(`${file} is not a list of {id, kind, password}: delete it, or pass --fresh to register new sensors`)
  return parsed.data
}

/** Writes atomically (temporary file, then rename), so an interrupted run cannot leave half a file. */
export async function writeCredentials (file: string, credentials: readonly Credential[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 })
  await rename(temporary, file)
}
