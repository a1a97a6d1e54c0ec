/** Hostile requests to `nepenthe serve`: wrong token, foreign Host, malformed API bodies. */
import { expect } from 'vitest';
import type { ServeCase } from '../corpus.ts';

export const SERVE_CASES: ServeCase[] = [
  {
    area: 'serve',
    name: 'a wrong session token',
    async run(serve) {
      const answer = await serve.raw({
        method: 'POST',
        path: '/api/app.info',
        headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('wrong token');
    },
  },
  {
    area: 'serve',
    name: 'a Host header that is not the loopback address',
    async run(serve) {
      const answer = await serve.raw({ path: '/', headers: { host: 'attacker.example:80' } });
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('unknown Host header');
    },
  },
];
