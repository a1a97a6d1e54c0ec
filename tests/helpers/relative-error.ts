/** The error measure of the native-kernel tests. */
import { expect } from 'vitest';

/** max |got − ref| / max |ref| (max |got − ref| when ref is all zeros); NaN anywhere fails. */
export function relativeError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    diff = Number.isNaN(d) ? NaN : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}
