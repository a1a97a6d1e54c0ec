/**
 * The engine worker: a plain Node process (DESIGN.md §2) that takes jobs over the IPC channel
 * (`advanced` serialization), validates them, and answers with typed events.
 */
import { WorkerEvent, WorkerJob } from '../shared/worker-protocol.ts';
import { isUserInputError } from '../shared/errors.ts';
import { readDocuments } from './data/documents.ts';
import { selectBackend } from './engine/backend.ts';
import { loadModel } from './model/load.ts';
import { loadTokenizer } from './model/tokenizer.ts';
import { evaluateFiles, readEvalFiles } from './tasks/eval-files.ts';
import { inspectModel } from './tasks/inspect.ts';
import { scoreDocuments } from './tasks/score.ts';

function send(event: WorkerEvent): void {
  process.send?.(WorkerEvent.parse(event));
}

async function handle(job: WorkerJob): Promise<void> {
  switch (job.kind) {
    case 'inspect':
      send({ id: job.id, kind: 'inspected', report: await inspectModel(job.model) });
      return;
    case 'score': {
      const documents = await readDocuments(job.data);
      await selectBackend(job.backend);
      const tokenizer = loadTokenizer(job.model);
      const { model } = await loadModel(job.model);
      try {
        const scored = await scoreDocuments(model, tokenizer, documents, {
          onProgress: (done, total) =>
            send({ id: job.id, kind: 'progress', label: 'scoring', done, total }),
        });
        send({ id: job.id, kind: 'scored', report: { documents: scored } });
      } finally {
        model.dispose();
      }
      return;
    }
    case 'eval':
      await evaluate(job);
      return;
    case 'cancel':
      return; // nothing long-running is cancellable yet: jobs here finish between messages
  }
}

/** The CLI's `eval` (src/cli/commands/eval.ts) as a job: same inputs, same report. */
async function evaluate(job: Extract<WorkerJob, { kind: 'eval' }>): Promise<void> {
  const files = await readEvalFiles(job);
  await selectBackend(job.backend);
  const report = await evaluateFiles(job, files, (label, done, total) =>
    send({ id: job.id, kind: 'progress', label, done, total }),
  );
  send({ id: job.id, kind: 'evaluated', report });
}

process.on('message', (message: unknown) => {
  const parsed = WorkerJob.safeParse(message);
  if (!parsed.success) {
    const id = (message as { id?: unknown } | null)?.id;
    send({
      id: typeof id === 'string' ? id : '?',
      kind: 'error',
      cause: 'input',
      message: `invalid job: ${parsed.error.issues[0]?.message}`,
    });
    return;
  }
  handle(parsed.data).catch((error: unknown) => {
    send({
      id: parsed.data.id,
      kind: 'error',
      cause: isUserInputError(error) ? 'input' : 'failure',
      message: error instanceof Error ? error.message : String(error),
    });
  });
});
