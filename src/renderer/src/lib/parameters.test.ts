// Advanced-panel validation: each hyperparameter kind accepts what the trainer accepts and
// names the valid range when it does not.
import { describe, expect, it } from 'vitest';
import type { Hyperparameter } from '../../../shared/app-api.ts';
import { parseValue, rangeText } from './parameters.ts';

const parameter = (over: Partial<Hyperparameter>): Hyperparameter => ({
  key: 'k',
  description: '',
  type: 'number',
  min: null,
  max: null,
  exclusiveMin: false,
  options: null,
  default: null,
  common: true,
  ...over,
});

describe('parseValue', () => {
  it('checks numbers against an exclusive minimum and a maximum', () => {
    const lr = parameter({ type: 'number', min: 0, exclusiveMin: true, max: 1 });
    expect(parseValue(lr, '0.0006')).toEqual({ value: 0.0006, error: null });
    expect(parseValue(lr, '0').error).toBe('more than 0');
    expect(parseValue(lr, '2').error).toBe('at most 1');
    expect(parseValue(lr, 'abc').error).toBe('a number');
    expect(parseValue(lr, '').error).toBe('a number');
  });

  it('wants whole numbers for integers', () => {
    const epochs = parameter({ type: 'integer', min: 1 });
    expect(parseValue(epochs, '3')).toEqual({ value: 3, error: null });
    expect(parseValue(epochs, '2.5').error).toBe('a whole number');
    expect(parseValue(epochs, '0').error).toBe('at least 1');
  });

  it('accepts "auto" and empty where the type allows them', () => {
    expect(parseValue(parameter({ type: 'number-or-auto' }), 'auto')).toEqual({
      value: 'auto',
      error: null,
    });
    expect(parseValue(parameter({ type: 'number-or-auto' }), '').error).toBe('a number or "auto"');
    expect(parseValue(parameter({ type: 'number-or-null' }), '  ')).toEqual({
      value: null,
      error: null,
    });
    expect(parseValue(parameter({ type: 'number' }), 'auto').error).toBe('a number');
  });

  it('accepts only the listed options of an enum', () => {
    const schedule = parameter({ type: 'enum', options: ['constant', 'cosine'] });
    expect(parseValue(schedule, 'cosine')).toEqual({ value: 'cosine', error: null });
    expect(parseValue(schedule, 'linear').error).toBe('one of constant, cosine');
  });
});

describe('rangeText', () => {
  it('says the range in words', () => {
    expect(rangeText(parameter({ type: 'integer', min: 1, max: 100 }))).toBe(
      'whole number ≥ 1, ≤ 100',
    );
    expect(rangeText(parameter({ type: 'number', min: 0, exclusiveMin: true }))).toBe('number > 0');
    expect(rangeText(parameter({ type: 'enum', options: ['a', 'b'] }))).toBe('a | b');
    expect(rangeText(parameter({ type: 'number-or-auto' }))).toBe('number or auto');
  });
});
