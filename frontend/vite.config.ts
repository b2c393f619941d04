import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// Two pages: the app (home, service, incidents) and the chart-only embed.
// The build lands where the Go web service embeds it.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: '../services/web/internal/ui/dist/app',
    emptyOutDir: true,
    target: 'es2020',
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { index: 'index.html', embed: 'embed.html' },
      output: {
        // The code both pages share (Preact, uPlot, i18n, the chart).
        chunkFileNames: 'assets/shared-[hash].js',
        assetFileNames: (a) =>
          a.names?.some((n) => n.endsWith('.css')) ? 'assets/app-[hash][extname]' : 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:18080',
      '^/services/[^/]+/chart\\.png': 'http://127.0.0.1:18080',
    },
  },
});
