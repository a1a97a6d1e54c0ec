/** The run under review (Results, Report): its details, its signed report, a verification. */
import type { ResponseOf, RunDetails } from '../../../shared/app-api.ts';
import type { VerifiedReport } from '../../../shared/report.ts';
import { api } from './bridge.ts';
import { attempt } from './ui.svelte.ts';

export type SignedReport = ResponseOf<'report.sign'>;

class Results {
  runId = $state<string | null>(null);
  details = $state<RunDetails | null>(null);
  loading = $state(false);
  signed = $state<SignedReport | null>(null);
  verified = $state<VerifiedReport | null>(null);

  async open(runId: string): Promise<boolean> {
    this.loading = true;
    try {
      const details = await attempt('Opening the run', () => api.call('runs.open', { runId }));
      if (!details) return false;
      if (this.runId !== runId) {
        this.signed = null;
        this.verified = null;
      }
      this.runId = runId;
      this.details = details;
      return true;
    } finally {
      this.loading = false;
    }
  }

  /** The signed report's path: just signed here, or recorded for the run. */
  reportPath = $derived(this.signed?.path ?? this.details?.summary.report ?? null);
}

export const results = new Results();
