// Lint: typescript-eslint strict rules, plus the dependency direction of DESIGN.md §2:
// shared/ imports nothing of ours; the worker (engine) imports shared/ only; the renderer talks
// only to window.nepenthe and imports shared/ only; the preload imports electron and shared/.
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
  {
    // The renderer is in `ignores` above while its own lint setup lands; this block holds its
    // rule so that removing it from there turns the direction check on (tests/build checks it too).
    files: ['src/renderer/**/*.ts'],
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
