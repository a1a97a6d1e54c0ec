/** How the report prints numbers, bytes, durations and times; the tests format with these too. */
import { binaryUnits } from '../../shared/byte-units.ts';

/** Integers as they are; other numbers with four decimals. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(4);
}

/** `after − before` with its sign; '—' when either is missing. */
export function formatDelta(
  before: number | null | undefined,
  after: number | null | undefined,
): string {
  if (before === null || before === undefined || after === null || after === undefined) return '—';
  const delta = after - before;
  if (delta === 0) return '0';
  const text =
    Number.isInteger(before) && Number.isInteger(after)
      ? String(Math.abs(delta))
      : Math.abs(delta).toFixed(4);
  return `${delta > 0 ? '+' : '−'}${text}`;
}

export function formatBytes(bytes: number): string {
  const scaled = binaryUnits(bytes);
  if (scaled === null) return `${bytes} B`;
  return `${scaled.value.toFixed(1)} ${scaled.unit} (${bytes.toLocaleString('en-US')} B)`;
}

export function formatSeconds(seconds: number): string {
  return seconds < 60
    ? `${seconds.toFixed(2)} s`
    : `${Math.floor(seconds / 60)} min ${(seconds % 60).toFixed(0)} s`;
}

/** `2026-11-22 09:22:28 UTC` from an ISO time. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)} %`;
}

/** A share in words for the first page: `0 %`, `96.7 %`, `100 %` (one decimal at most). */
export function formatShare(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return 'not measured';
  const percent = Math.round(fraction * 1000) / 10;
  return `${Number.isInteger(percent) ? percent.toFixed(0) : percent.toFixed(1)} %`;
}

/** An AUC for the first page: two decimals (`0.69`). */
export function formatAuc(auc: number | null | undefined): string {
  return auc === null || auc === undefined ? 'not measured' : auc.toFixed(2);
}
