/**
 * Whether the wasm kernels hand their work to the native addon (src/worker/engine/native), and
 * which addon. Per process: the addon works in place on this process's wasm heap. Every kernel
 * that has a native path reads this at call time, so switching back (null) needs no
 * re-registration.
 */
import { getBackend } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native/addon.ts';

let active: NativeAddon | null = null;

export function setNativeAddon(addon: NativeAddon | null): void {
  active = addon;
}

export function nativeAddon(): NativeAddon | null {
  return active;
}

/**
 * True when the native kernels can run now: an addon is active and the active backend is wasm or
 * the native CPU backend (../native/backend.ts), the two whose memory the addon works on.
 */
export function nativeKernelsActive(): boolean {
  const name = getBackend();
  return active !== null && (name === 'wasm' || name === 'native');
}
