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

/** True when the native kernels can run now: wasm is the active backend and an addon is active. */
export function nativeKernelsActive(): boolean {
  return getBackend() === 'wasm' && active !== null;
}
