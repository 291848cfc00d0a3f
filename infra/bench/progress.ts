/**
 * The progress line on stderr: rewritten in place on a terminal, one line per step otherwise
 * (a log file should not fill with a line per second). stdout stays for the table.
 */
export class Progress {
  readonly #tty = process.stderr.isTTY === true
  readonly #started = Date.now()
  readonly #quiet: boolean
  step = ''

  /** `quiet` writes nothing (the bench's own test). */
  constructor (options: { quiet?: boolean } = {}) {
    this.#quiet = options.quiet === true
  }

  update (text: string): void {
    if (this.#quiet) return
    const elapsed = Math.round((Date.now() - this.#started) / 1000)
    const line = `[${formatSeconds(elapsed)}]${this.step === '' ? '' : ` ${this.step}`} ${text}`
    if (this.#tty) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`)
    else process.stderr.write(`${line}\n`)
  }

  /** Waits `seconds`, showing the count each second; stops early when `abort` says so. */
  async countdown (label: string, seconds: number, abort: () => boolean, extra?: () => string): Promise<void> {
    const deadline = Date.now() + seconds * 1000
    let shown = false
    while (Date.now() < deadline && !abort()) {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000))
      if (this.#tty || !shown) this.update(`${label} ${seconds - left}/${seconds} s${extra === undefined ? '' : `  ${extra()}`}`)
      shown = true
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, Math.max(0, deadline - Date.now()))))
    }
  }

  /** Clears the line before the table is printed. */
  done (): void {
    if (this.#tty) process.stderr.write('\r\x1b[2K')
  }
}

function formatSeconds (s: number): string {
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}
