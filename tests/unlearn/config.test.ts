/**
 * resolveConfig (config.ts): unknown keys and keys of other methods are errors naming the keys
 * the method reads; wrong types and ranges name the key and the value; method defaults and the
 * global seed fill in what the file leaves out.
 */
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import { DEFAULT_CONFIG, resolveConfig } from '../../src/worker/unlearn/config.ts';
import { methodNamed } from '../../src/worker/unlearn/methods/index.ts';

const resolve = (raw: unknown, method: string, seed?: number) =>
  resolveConfig(raw, methodNamed(method), 'run.json', seed);

const failure = (fn: () => unknown): UserInputError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return error as UserInputError;
  }
  throw new Error('expected a UserInputError');
};

describe('resolveConfig', () => {
  it('rejects an unknown key, naming the file and the keys the method reads', () => {
    const error = failure(() => resolve({ learningRate: 1e-4 }, 'graddiff'));
    expect(error.message).toContain('run.json');
    expect(error.message).toContain('"learningRate"');
    for (const key of ['lr', 'epochs', 'batchSize', 'alpha', 'gamma'])
      expect(error.message).toContain(key);
    expect(error.message).not.toContain('omega');
  });

  it("rejects another method's key: omega for graddiff, rate for npo", () => {
    const omega = failure(() => resolve({ omega: 50 }, 'graddiff'));
    expect(omega.message).toContain('"omega"');
    expect(omega.message).toContain('not a graddiff key');
    expect(failure(() => resolve({ rate: 0 }, 'npo')).message).toContain('not a npo key');
    expect(resolve({ omega: 50 }, 'bounded').omega).toBe(50);
  });

  it('rejects wrong types and ranges, naming the key and the value', () => {
    const cases: [object, string, string][] = [
      [{ lr: '1e-4' }, 'graddiff', '"lr"'],
      [{ lr: 0 }, 'graddiff', '"lr"'],
      [{ epochs: 1.5 }, 'graddiff', '"epochs"'],
      [{ batchSize: 0 }, 'graddiff', '"batchSize"'],
      [{ maxLength: 1 }, 'ga', '"maxLength"'],
      [{ schedule: 'exp' }, 'ga', '"schedule"'],
      [{ rate: 1.5 }, 'sga', '"rate"'],
      [{ rate: 'automatic' }, 'sga', '"rate"'],
      [{ k: 1 }, 'sga', '"k"'],
      [{ neighbours: 'cosine' }, 'sga', '"neighbours"'],
      [{ rank: 0 }, 'bounded', '"rank"'],
      [{ bound: 'cos' }, 'bounded', '"bound"'],
      [{ baseMethod: 'sga' }, 'sau', '"baseMethod"'],
      [{ alpha: -1 }, 'graddiff', '"alpha"'],
    ];
    for (const [raw, method, key] of cases) {
      const error = failure(() => resolve(raw, method));
      expect(error.message).toContain(key);
      expect(error.message).toContain(JSON.stringify(Object.values(raw)[0]));
    }
    expect(failure(() => resolve([1], 'ga')).message).toContain('JSON object');
    expect(failure(() => resolve(null, 'ga')).message).toContain('JSON object');
  });

  it('fills common defaults and method defaults', () => {
    const simnpo = resolve({}, 'simnpo');
    expect(simnpo.beta).toBe(4.5);
    expect(simnpo.gamma).toBe(0.125);
    expect(simnpo.delta).toBe(0);
    expect(simnpo.lr).toBe(DEFAULT_CONFIG.lr);
    expect(resolve({}, 'npo').beta).toBe(0.1);
    expect(resolve({}, 'bounded').lr).toBe(2e-4);
    expect(resolve({}, 'graddiff').lr).toBe(1e-5);
    const sga = resolve({}, 'sga');
    expect([sga.rate, sga.k, sga.neighbours]).toEqual([-0.4, 4, 'embedding']);
    expect(resolve({ neighbours: 'tokens' }, 'sga').neighbours).toBe('tokens');
    expect(failure(() => resolve({ neighbours: 'tokens' }, 'graddiff')).message).toContain(
      'not a graddiff key',
    );
    // the file's values win over the method's defaults
    expect(resolve({ lr: 1e-3, beta: 1 }, 'simnpo')).toMatchObject({ lr: 1e-3, beta: 1 });
    expect(resolve({ rate: 'auto' }, 'sga').rate).toBe('auto');
  });

  it('applies the global seed unless the file sets one', () => {
    expect(resolve({}, 'ga').seed).toBe(DEFAULT_CONFIG.seed);
    expect(resolve({}, 'ga', 99).seed).toBe(99);
    expect(resolve({ seed: 5 }, 'ga', 99).seed).toBe(5);
  });
});
