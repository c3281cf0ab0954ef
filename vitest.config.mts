import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['labextension/src/__tests__/**/*.spec.{ts,tsx}'],
    globals: true,
    environment: 'node',
    server: { deps: { inline: [/@jupyterlab\//, /@jupyter\//, /@lumino\//] } }
  }
});
