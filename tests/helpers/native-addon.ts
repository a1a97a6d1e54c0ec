/**
 * The active native addon wrapped to count its calls, for tests that must tell a native path
 * from a fallback. Call after `selectBackend('wasm')`; install `counting` with
 * `useNativeKernels` and put `real` back when done.
 */
import { loadNativeAddon, type NativeAddon } from '../../src/worker/engine/native/addon.ts';
import { nativeAddon } from '../../src/worker/engine/wasm-kernels/native-active.ts';

export interface CountedAddon {
  readonly real: NativeAddon;
  readonly counting: NativeAddon;
  /** Calls per function name; `unary` also as `unary:<op>` (0 exp, 1 tanh, 2 GELU). */
  readonly calls: Map<string, number>;
}

/** The counting stand-in, or why there is no active addon (for a test failure, not a skip). */
export function countNativeCalls(): CountedAddon | string {
  const active = nativeAddon();
  if (active === null) {
    const status = loadNativeAddon(1);
    const why = status.ok ? 'loaded, but not made active by selectBackend' : status.reason;
    return `the native addon is not active on wasm (${why}); build it: node scripts/build-native.mjs`;
  }
  const calls = new Map<string, number>();
  const bump = (key: string): void => void calls.set(key, (calls.get(key) ?? 0) + 1);
  // The addon's functions are not enumerable: forward every property, counting the calls.
  const counting = new Proxy({} as NativeAddon, {
    get: (_target, name) => {
      const value: unknown = Reflect.get(active, name);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]): unknown => {
        bump(name);
        if (name === 'unary') bump(`unary:${String(args[1])}`);
        return Reflect.apply(value, active, args);
      };
    },
  });
  return { real: active, counting, calls };
}
