// Component tests: Svelte compiled for the browser, jsdom, the same $lib/$dubd aliases as the app. No
// SvelteKit plugin on purpose: it reads svelte.config.js from the working directory, which is the repository
// root when the root config runs this file as one of its `projects`.
import { svelte, vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  plugins: [svelte({ configFile: false, preprocess: vitePreprocess() }), svelteTesting()],
  resolve: {
    alias: { $lib: here('./src/lib'), $dubd: here('..') },
  },
  test: {
    name: 'studio',
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/lib/test/setup.ts'],
    testTimeout: 20_000,
  },
});
