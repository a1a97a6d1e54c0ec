/**
 * The OpenBLAS kernel set the addon names for this CPU (native/blas.c `choose_core_type`), for
 * the PyTorch peers: they load the same Debian OpenBLAS, whose DYNAMIC_ARCH falls back to its
 * SSE3 kernels on CPUs it does not know (Sapphire/Emerald Rapids), and a comparison is fair only
 * when both sides run the same kernels. The user's OPENBLAS_CORETYPE wins; undefined leaves
 * OpenBLAS's own detection.
 */
import { readFileSync } from 'node:fs';

export function openBlasCoreType(): string | undefined {
  if (process.env.OPENBLAS_CORETYPE) return process.env.OPENBLAS_CORETYPE;
  let flags: Set<string>;
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    flags = new Set((line?.[1] ?? '').trim().split(/\s+/));
  } catch {
    return undefined;
  }
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}
