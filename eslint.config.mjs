// ESLint flat config for the panel's TypeScript (tests/test_lint.py runs `jlpm lint:check`).
// Formatting is prettier's job, so only correctness rules are on here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['labextension/lib/**', 'kale_like/labextension/**', 'node_modules/**'] },
  {
    files: ['labextension/src/**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // Unused arguments are allowed when named `_x` (callbacks with a fixed signature).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  }
);
