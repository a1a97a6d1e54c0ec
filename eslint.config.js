// Lint: typescript-eslint strict rules, plus the dependency direction of DESIGN.md §2:
// shared/ imports nothing of ours; the worker (engine) imports shared/ only.
import tseslint from 'typescript-eslint';

const forbid = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  {
    ignores: [
      'tmp/**',
      'node_modules/**',
      'out/**',
      'dist/**',
      'tests/fixtures/**',
      'src/renderer/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: forbid(
      [
        '**/worker/**',
        '**/main/**',
        '**/cli/**',
        '**/renderer/**',
        '**/preload/**',
        'node:*',
        'electron',
      ],
      'shared/ holds types and schemas only: no Node, no Electron, no app code.',
    ),
  },
  {
    files: ['src/worker/**/*.ts'],
    rules: forbid(
      ['**/main/**', '**/cli/**', '**/renderer/**', '**/preload/**', 'electron'],
      'The engine never imports app code (DESIGN.md §2).',
    ),
  },
);
