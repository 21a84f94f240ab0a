import { defineConfig } from 'vite';

// Cross-origin isolation: without these two headers browsers withhold SharedArrayBuffer, and
// pathgrad's WebAssembly kernels then run on one thread instead of one per core. A static
// host serving dist/ needs to send the same headers for threads.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// Relative asset URLs so the built folder works wherever it is served from, offline:
// the model weights and the sample digits are compiled into the bundle.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { host: '127.0.0.1', strictPort: true, headers: isolation },
});
