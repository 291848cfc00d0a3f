import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Reading } from '../../core/reading.js'

/**
 * A small tmpfs for disk-full tests: mounted on a temporary folder with a size limit, so a
 * store inside it meets ENOSPC like on a full disk, then freed by deleting a filler file.
 * Mounting needs root (or CAP_SYS_ADMIN); CI runs as root.
 */

function mount (dir: string, sizeBytes: number): string | undefined {
  const res = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' })
  if (res.error !== undefined) return res.error.message
  return res.status === 0 ? undefined : (res.stderr.trim().split('\n')[0] || `mount exited with ${res.status}`)
}

function unmount (dir: string): void {
  // Lazily if a file is still open in it: the mount goes once that is closed.
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir])
}

/** Why a tmpfs cannot be mounted here, or undefined when it can (tried once, at load). */
export const tmpfsUnavailable: string | undefined = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'sensorstad-tmpfs-probe-'))
  try {
    const why = mount(dir, 64 * 1024)
    if (why === undefined) unmount(dir)
    return why
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})()

export const hasTmpfs = tmpfsUnavailable === undefined

export function requireTmpfsInCi (): void {
  if (!hasTmpfs && process.env.CI !== undefined) {
    throw new Error(`CI needs to mount a tmpfs (run the tests as root): ${tmpfsUnavailable}`)
  }
}

export interface Tmpfs {
  dir: string
  /** Bytes a file can still take. */
  freeBytes (): number
  /** Fills the disk with a filler file until `leaveBytes` (rounded to pages) stay free. */
  fill (leaveBytes: number): void
  /** Deletes the filler file: the store has room again. */
  free (): void
  /** Unmounts and removes the folder. */
  destroy (): void
}

export function mountTmpfs (sizeBytes: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'sensorstad-tmpfs-'))
  const why = mount(dir, sizeBytes)
  if (why !== undefined) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`cannot mount a tmpfs on ${dir}: ${why}`)
  }
  const filler = join(dir, 'filler')
  const freeBytes = (): number => {
    const s = statfsSync(dir)
    return s.bavail * s.bsize
  }
  return {
    dir,
    freeBytes,
    fill (leaveBytes) {
      let size = 0
      try { size = statSync(filler).size } catch {}
      // Written, not truncated up: tmpfs allocates pages only for bytes actually written.
      writeFileSync(filler, Buffer.alloc(Math.max(0, size + freeBytes() - leaveBytes)))
    },
    free () {
      rmSync(filler, { force: true })
    },
    destroy () {
      unmount(dir)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** DuckDB's default checkpoint_threshold (1.5.6): a COMMIT that takes the WAL past it checkpoints. */
export const DUCKDB_CHECKPOINT_THRESHOLD = 16 * 1024 * 1024

/**
 * Grows a DuckDB file's WAL (`${path}.wal`) to within 128 KiB of the checkpoint threshold by
 * writing readings of a filler sensor, without ever crossing it: the next few commits then
 * checkpoint, which is the write that meets a full disk in `fill`. Halves the distance each
 * step, from the WAL bytes per reading measured so far; at most 200 writes.
 */
export async function growWalToCheckpoint (path: string, write: (readings: Reading[]) => Promise<void>): Promise<number> {
  const walSize = (): number => { try { return statSync(`${path}.wal`).size } catch { return 0 } }
  const t0 = Date.UTC(2020, 0, 1)
  let time = 0
  let perReading = 0
  for (let step = 0; step < 200; step++) {
    const before = walSize()
    const remaining = DUCKDB_CHECKPOINT_THRESHOLD - before
    if (remaining < 128 * 1024) return before
    const n = perReading === 0 ? 2_000 : Math.max(10, Math.min(20_000, Math.floor(remaining / 2 / perReading)))
    await write(Array.from({ length: n }, () => ({ sensorId: 'wal-filler', kind: 'wastebin', field: 'fillingLevel', time: t0 + time++, value: time % 100 })))
    const after = walSize()
    // A checkpoint emptied the WAL (the estimate was off): measure again from there.
    perReading = after > before ? (after - before) / n : 0
  }
  throw new Error(`the WAL of ${path} did not reach the checkpoint threshold in 200 writes`)
}
