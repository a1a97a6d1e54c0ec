/** The CLI's progress never goes quiet for longer than its heartbeat while a step runs. */
import { describe, expect, it } from 'vitest';
import { stderrProgress } from '../../src/cli/progress.ts';

function sink(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = {
    isTTY: false,
    write: (s: string) => lines.push(s),
  } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stderr progress', () => {
  it('repeats the running step with its seconds when nothing new came for a heartbeat', async () => {
    const { stream, lines } = sink();
    const progress = stderrProgress(stream, { heartbeatMs: 80 });
    progress.step('before: forget: pii probes', 3, 10);
    await sleep(300);
    progress.done();
    const beats = lines.filter((l) => l.includes('(working,'));
    expect(lines[0]).toBe('before: forget: pii probes 3/10\n');
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats[0]).toMatch(/^before: forget: pii probes 3\/10 \(working, \d+ s on this\)\n$/);
    const count = lines.length;
    await sleep(200);
    expect(lines.length).toBe(count); // done() stops it
  });

  it('stays quiet while steps keep coming', async () => {
    const { stream, lines } = sink();
    const progress = stderrProgress(stream, { heartbeatMs: 150 });
    for (let i = 1; i <= 6; i++) {
      progress.step('train', i, 6);
      await sleep(30);
    }
    progress.done();
    expect(lines.some((l) => l.includes('(working,'))).toBe(false);
  });
});
