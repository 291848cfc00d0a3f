import { defineConfig } from 'vitest/config'

// Tests mirror the source tree under test/. Suites that start servers bind 127.0.0.1:0,
// so files run in parallel; the 2-core CI machine gets two workers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000
  }
})
