/** Hyperparameter fields of the Advanced panel: text → value, and the valid range in words. */
import type { Hyperparameter } from '../../../shared/app-api.ts';

/** A hyperparameter field's text → its value, or why it is not valid. */
export function parseValue(
  parameter: Hyperparameter,
  text: string,
): { value: number | string | null; error: string | null } {
  const trimmed = text.trim();
  if (parameter.type === 'enum') {
    const options = parameter.options ?? [];
    return options.includes(trimmed)
      ? { value: trimmed, error: null }
      : { value: trimmed, error: `one of ${options.join(', ')}` };
  }
  if (parameter.type === 'number-or-auto' && trimmed === 'auto')
    return { value: 'auto', error: null };
  if (parameter.type === 'number-or-null' && trimmed === '') return { value: null, error: null };
  const n = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(n)) {
    const extra =
      parameter.type === 'number-or-auto'
        ? ' or "auto"'
        : parameter.type === 'number-or-null'
          ? ' or empty'
          : '';
    return { value: trimmed, error: `a number${extra}` };
  }
  if (parameter.type === 'integer' && !Number.isInteger(n))
    return { value: n, error: 'a whole number' };
  if (parameter.min !== null) {
    if (parameter.exclusiveMin ? n <= parameter.min : n < parameter.min)
      return {
        value: n,
        error: `${parameter.exclusiveMin ? 'more than' : 'at least'} ${parameter.min}`,
      };
  }
  if (parameter.max !== null && n > parameter.max)
    return { value: n, error: `at most ${parameter.max}` };
  return { value: n, error: null };
}

export function rangeText(parameter: Hyperparameter): string {
  if (parameter.type === 'enum') return (parameter.options ?? []).join(' | ');
  const lo =
    parameter.min === null ? null : `${parameter.exclusiveMin ? '>' : '≥'} ${parameter.min}`;
  const hi = parameter.max === null ? null : `≤ ${parameter.max}`;
  const range = [lo, hi].filter(Boolean).join(', ');
  const extra =
    parameter.type === 'number-or-auto'
      ? 'or auto'
      : parameter.type === 'number-or-null'
        ? 'or empty'
        : '';
  const kind = parameter.type === 'integer' ? 'whole number' : 'number';
  return [kind, range, extra].filter(Boolean).join(' ');
}
