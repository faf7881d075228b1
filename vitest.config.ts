import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and e2e tests start emulators on free ports; keep files in separate forks.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    // Lambda runs Node.js 22; the SDK's notice about Node 20 is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
