import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'server', include: ['**/*.test.ts'], exclude: ['node_modules/**', 'dist/**', 'studio/**'] } },
      'studio/vitest.config.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real engines on 2 cores: a few files at a time keeps timings sane.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
