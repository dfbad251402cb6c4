import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The renderer is one Svelte app served by the HTTP bridge (dist/renderer) and loaded by the
// Electron shell. For `vite dev`, point SIGHTLINE_API at a running `sightline serve` to proxy the
// API, events and media through the dev server (the CSP's connect-src 'self' still holds).
const apiTarget = process.env.SIGHTLINE_API;

export default defineConfig({
  root: 'src-renderer',
  base: '/',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // Strict CSP (script-src 'self'): never inline scripts or assets as data: scripts.
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: apiTarget
    ? { proxy: { '/api': { target: apiTarget, changeOrigin: false }, '/media': { target: apiTarget } } }
    : undefined,
});
