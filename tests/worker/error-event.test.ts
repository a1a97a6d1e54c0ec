/** What a job's thrown error becomes on the wire: one line, whatever was thrown. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorEvent } from '../../src/worker/jobs/errors.ts';

describe('errorEvent', () => {
  it("says a schema failure of the worker's own answer in one line, not a dump of every issue", () => {
    const schema = z.object({ logprobs: z.array(z.number()) });
    const parsed = schema.safeParse({ logprobs: Array.from({ length: 200 }, () => NaN) });
    const event = errorEvent('job-1', parsed.error);
    expect(event.code).toBe('failed');
    expect(event.message).not.toContain('\n');
    expect(event.message.length).toBeLessThan(200);
    expect(event.message).toContain('logprobs.0');
    expect(event.message).toContain('199 more');
  });
});
