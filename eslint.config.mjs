// ESLint flat config for the panel's TypeScript (tests/test_lint.py runs `jlpm eslint:check`).
// Formatting is prettier's job, so only correctness rules are on here: the recommended sets,
// plus the type-aware rules that catch promises nobody awaits or handles (a lost error in the
// panel is silent) and switches that miss a case of a union.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['labextension/lib/**', 'kale_like/labextension/**', 'node_modules/**'] },
  {
    files: ['labextension/src/**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      // The test config's project holds the sources and their tests.
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      // Unused arguments are allowed when named `_x` (callbacks with a fixed signature).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error'
    }
  }
);
