// ESLint for Distillery (run from the repository root by `npm run lint`): the recommended
// JavaScript and typescript-eslint rules, plus the typed rule the extension samples and
// vscode-dvc rely on most: no promise left floating (an unawaited rejection in the extension
// host is an error nobody sees). Type information comes from the root tsconfig.json.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      '.cache/**',
      'test-results/**',
      'tools/**',
      'examples/**',
      '**/*.js',
      '**/*.mjs',
      'src/engine/backend/simd/kernelsBinary.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Lazy and optional loads are require()s on purpose: tfjs and tfjs-node only in the engine,
      // when a run needs them (the host never loads them), and package.json for --version.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Tests poke at tfjs's and VS Code's loosely typed corners.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
