#!/usr/bin/env bash
# The whole test suite (README: `npm test`): system packages, types, lint, then vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
echo "== native kernels" >&2
node scripts/build-native.mjs
echo "== typecheck" >&2
npx tsc --noEmit -p tsconfig.json
npx svelte-check --tsconfig ./src/renderer/tsconfig.json --fail-on-warnings --output machine | tail -1
echo "== lint" >&2
npx eslint .
node node_modules/prettier/bin/prettier.cjs --check . >/dev/null || { node node_modules/prettier/bin/prettier.cjs --check . ; exit 1; }
echo "== tests" >&2
npx vitest run
