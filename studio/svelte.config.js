// The studio is a static SPA: adapter-static writes it to dist/studio/ and the dubd server serves it at `/`,
// answering index.html for any page path (every route is rendered in the browser; there is no SSR).
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: '../dist/studio', assets: '../dist/studio', fallback: 'index.html', strict: true }),
    paths: { base: '' },
    // Types shared with the server (type-only imports: nothing from the server is bundled).
    alias: { $dubd: fileURLToPath(new URL('..', import.meta.url)) },
  },
};
