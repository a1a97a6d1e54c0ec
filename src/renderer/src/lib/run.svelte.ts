/**
 * The run being watched: started here, resumed, or found running at startup. Kept up to date by
 * run.* events; run.status fills in whatever happened before we subscribed.
 */
import type { AppEvent, RunStartRequest, RunStatus, RunSummary } from '../../../shared/app-api.ts';
import type { RunState } from '../../../shared/audit.ts';
import type { CalibrationUpdate, TrainingProgress } from '../../../shared/training.ts';
import { api } from './bridge.ts';
import { session } from './session.svelte.ts';
import { attempt, ui } from './ui.svelte.ts';

type Phase = RunStatus['phase'];

export const PHASE_LABELS: Record<NonNullable<Phase>, string> = {
  validate: 'Checking the inputs',
  evalBefore: 'Measuring before unlearning',
  unlearn: 'Unlearning',
  evalAfter: 'Measuring after unlearning',
  report: 'Writing the report',
};

export const STATE_LABELS: Record<RunState, string> = {
  running: 'Running',
  cancelled: 'Cancelled',
  failed: 'Failed',
  done: 'Done',
};

class RunMonitor {
  runId = $state<string | null>(null);
  runDir = $state<string | null>(null);
  state = $state<RunState | null>(null);
  phase = $state<Phase>(null);
  progress = $state<{ label: string; done: number; total: number } | null>(null);
  steps = $state<TrainingProgress[]>([]);
  /** Calibrated mode's decisions so far (empty for a run with a fixed lr and epochs). */
  decisions = $state<CalibrationUpdate[]>([]);
  message = $state<string | null>(null);
  resumable = $state(false);
  log = $state<{ level: 'info' | 'warn'; message: string }[]>([]);
  starting = $state(false);
  /** An interrupted run found at startup, offered for resuming. */
  resumeOffer = $state<RunSummary | null>(null);

  latest = $derived<TrainingProgress | null>(this.steps[this.steps.length - 1] ?? null);
  active = $derived(this.state === 'running');

  constructor() {
    api.onEvent((event) => this.#handle(event));
  }

  async start(request: RunStartRequest): Promise<boolean> {
    this.starting = true;
    try {
      const started = await attempt('Starting the run', () => api.call('run.start', request));
      if (!started) return false;
      this.#watch(started.runId, started.runDir);
      ui.announce('Run started');
      await this.refresh();
      return true;
    } finally {
      this.starting = false;
    }
  }

  async resume(runId: string): Promise<boolean> {
    this.starting = true;
    try {
      // Names to protect are never stored: the ones typed under Documents go with the resume.
      const names = session.names;
      const resumed = await attempt('Resuming the run', () =>
        api.call('run.resume', { runId, ...(names.length > 0 ? { names: [...names] } : {}) }),
      );
      if (!resumed) return false;
      this.resumeOffer = null;
      this.#watch(resumed.runId, resumed.runDir);
      ui.announce('Run resumed');
      await this.refresh();
      return true;
    } finally {
      this.starting = false;
    }
  }

  async cancel(): Promise<void> {
    const runId = this.runId;
    if (!runId) return;
    const done = await attempt('Cancelling the run', () => api.call('run.cancel', { runId }));
    if (done) ui.announce('Cancelling: the run stops at its next checkpoint');
  }

  /** Watches an existing run (History, startup) from its status. */
  async attach(runId: string): Promise<void> {
    this.#watch(runId, null);
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const runId = this.runId;
    if (!runId) return;
    const status = await attempt('Reading the run status', () => api.call('run.status', { runId }));
    if (!status || status.runId !== this.runId) return;
    this.runDir = status.runDir;
    this.state = status.state;
    this.phase = status.phase;
    this.progress = status.progress;
    if (status.steps.length >= this.steps.length) this.steps = status.steps;
    if (status.decisions.length >= this.decisions.length) this.decisions = status.decisions;
    this.message = status.message;
    this.resumable = status.resumable;
  }

  /** Startup: a run still going is watched; an interrupted one is offered for resuming. */
  async checkPrevious(): Promise<void> {
    const list = await attempt('Listing the runs', () => api.call('runs.list', {}));
    if (!list) return;
    const running = list.runs.find((r) => r.state === 'running');
    if (running) {
      await this.attach(running.runId);
      return;
    }
    this.resumeOffer = list.runs.find((r) => r.resumable) ?? null;
  }

  #watch(runId: string, runDir: string | null): void {
    if (this.runId !== runId) {
      this.steps = [];
      this.decisions = [];
      this.log = [];
      this.progress = null;
      this.phase = null;
    }
    this.runId = runId;
    this.runDir = runDir;
    this.state = 'running';
    this.message = null;
    this.resumable = false;
  }

  #handle(event: AppEvent): void {
    if (event.kind === 'task.progress' || event.runId !== this.runId) return;
    switch (event.kind) {
      case 'run.progress': {
        const phaseChanged = event.phase !== this.phase;
        this.phase = event.phase;
        this.progress = { label: event.label, done: event.done, total: event.total };
        if (phaseChanged && event.phase) ui.announce(PHASE_LABELS[event.phase]);
        break;
      }
      case 'run.step':
        // A resumed run repeats no step; drop any we already have (status raced the event).
        if (!this.steps.some((s) => s.step === event.progress.step))
          this.steps.push(event.progress);
        break;
      case 'run.decision': {
        const { step, action } = event.update.decision;
        // The same decision can arrive twice when status raced the event.
        if (!this.decisions.some((u) => u.decision.step === step && u.decision.action === action))
          this.decisions.push(event.update);
        break;
      }
      case 'run.log':
        this.log.push({ level: event.level, message: event.message });
        if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
        break;
      case 'run.state':
        this.state = event.state;
        this.message = event.message;
        ui.announce(
          `Run ${STATE_LABELS[event.state].toLowerCase()}${event.message ? `: ${event.message}` : ''}`,
        );
        if (event.state !== 'running') void this.refresh();
        break;
    }
  }
}

export const run = new RunMonitor();
