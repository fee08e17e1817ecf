import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

// `vite dev` proxies the server's routes so the studio can be developed against a running `dubd serve`.
const target = process.env.DUBD_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [tailwindcss(), sveltekit()],
  server: {
    proxy: {
      '/api': target,
      '/live': { target, ws: true },
      '/whep': target,
      '/metrics': target,
      '/healthz': target,
    },
  },
});
