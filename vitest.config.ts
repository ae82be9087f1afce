import { defineConfig } from 'vitest/config';

// One project per kind of test. `npm test` runs them all; docker tests need a running engine
// (.ci/run starts one) and run one file at a time so they do not fight over the 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          // property tests run hundreds of cases: on a loaded 2-core machine 5 s is not enough
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          setupFiles: ['test/emulators/framework/strict.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'store',
          include: ['test/store/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'cloud',
          include: ['test/cloud/**/*.test.ts', 'test/emulators/**/*.test.ts'],
          setupFiles: ['test/emulators/framework/strict.ts'],
          pool: 'forks',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // the API server in process (app.request) and on 127.0.0.1
          name: 'api',
          include: ['test/api/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // the dashboard in Debian's Chromium (/usr/bin/chromium, playwright-core): needs `npm run build` first
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
