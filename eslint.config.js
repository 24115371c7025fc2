// ESLint (flat config): typescript-eslint's recommended rules over src/, test/ and scripts/.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'test/fixtures/', 'example/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are placeholders kept on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `let { a, b } = ...` where only one is reassigned stays one statement.
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  {
    // The e2e stand-ins are being reworked on another branch: reported, not failing, until that lands.
    files: ['test/e2e/**'],
    rules: { 'no-useless-assignment': 'warn', '@typescript-eslint/no-unused-vars': 'warn' },
  },
);
