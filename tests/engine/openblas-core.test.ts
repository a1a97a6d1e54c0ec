/**
 * The addon names OpenBLAS's kernel set by the CPU's instructions (native/blas.c): Debian's
 * OpenBLAS 0.3.21 detects an unknown CPU model (Emerald Rapids) as "Prescott" and runs SSE3
 * kernels at a quarter of the speed. Checked in a child process: OpenBLAS reads the variable once,
 * when the addon opens it, and the user's value must win.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../src/worker/engine/native/addon.ts';

const flags = new Set(
  (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/),
);
const hasAvx2 = flags.has('avx2') && flags.has('fma');
const hasAvx512 = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f));

/** The addon's BLAS description in a fresh process with `env` added. */
function blasDetail(env: NodeJS.ProcessEnv): string {
  const script =
    "import { loadNativeAddon } from './src/worker/engine/native/addon.ts';" +
    'const s = loadNativeAddon(1); console.log(s.ok ? s.detail : "off: " + s.reason);';
  const child = { ...process.env, ...env };
  if (env.OPENBLAS_CORETYPE === undefined) delete child.OPENBLAS_CORETYPE;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      env: child,
      encoding: 'utf8',
    },
  );
  return result.stdout.trim().split('\n').at(-1) ?? '';
}

describe.skipIf(!loadNativeAddon(1).ok || !blasDetail({}).includes('OpenBLAS'))(
  'OpenBLAS core type',
  () => {
    it.skipIf(!hasAvx2)(
      'uses AVX2 or AVX-512 kernels on a CPU that has them',
      () => {
        const detail = blasDetail({ OPENBLAS_CORETYPE: undefined });
        expect(detail).not.toMatch(/Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Sandybridge/);
        expect(detail).toMatch(hasAvx512 ? /SkylakeX/ : /Haswell/);
      },
      60_000,
    );

    it("keeps the user's OPENBLAS_CORETYPE", () => {
      expect(blasDetail({ OPENBLAS_CORETYPE: 'Nehalem' })).toMatch(/Nehalem/);
    }, 60_000);
  },
);
