import { defineConfig } from 'vite';

// Relative asset URLs so the built folder works wherever it is served from, offline:
// the model weights and the sample digits are compiled into the bundle.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  worker: { format: 'es' },
  preview: { host: '127.0.0.1', strictPort: true },
});
