// Lint: typescript-eslint strict rules, plus the dependency direction of DESIGN.md §2:
// shared/ imports nothing of ours; the worker (engine) imports shared/ only; the renderer talks
// only to window.nepenthe and imports shared/ only; the preload imports electron and shared/.
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
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
      '.gpu-carry/**',
    ],
  },
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
      globals: { ...globals.browser },
    },
  },
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
  {
    // The renderer's direction (tests/build checks it too, on .svelte files as well).
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.svelte'],
    rules: forbid(
      ['**/main/**', '**/worker/**', '**/cli/**', '**/preload/**', 'electron', 'node:*'],
      'The renderer talks only to window.nepenthe and imports only src/shared (DESIGN.md §2).',
    ),
  },
  {
    // A sandboxed preload can require electron and nothing else: every npm module and Node
    // built-in is refused; only electron and the plain modules of src/shared are bundled in.
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!electron$|\\.\\./shared/[\\w.-]+\\.ts$)',
              message:
                'The preload imports only electron and src/shared (it runs sandboxed: no npm modules).',
            },
          ],
        },
      ],
    },
  },
);
