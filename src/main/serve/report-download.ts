/**
 * `GET /files/report/<runId>`: a run's report.pdf as a download, for the browser's "save PDF"
 * (the desktop app writes the file with a native save dialog instead). The run id is checked
 * with the API's own RunId schema — a folder name, no separators — so it cannot climb out of
 * the workspace, which comes from the backend's current settings.
 */
import { statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { RunId, Settings } from '../../shared/app-api.ts';
import type { AppBackend } from '../app-backend.ts';
import { sendText } from './headers.ts';
import { streamFile } from './static-files.ts';

export async function handleReportDownload(
  backend: AppBackend,
  rawRunId: string,
  response: ServerResponse,
): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawRunId);
  } catch {
    return sendText(response, 400, 'not a run id');
  }
  const runId = RunId.safeParse(decoded);
  if (!runId.success)
    return sendText(response, 400, `not a run id: ${runId.error.issues[0]?.message}`);
  const settings = await backend.call('settings.get', {});
  const parsed = settings.ok ? Settings.safeParse(settings.value) : undefined;
  if (!parsed?.success) return sendText(response, 500, 'could not read the workspace setting');
  const path = join(parsed.data.workspace, runId.data, 'report.pdf');
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile()) return sendText(response, 404, `run ${runId.data} has no report.pdf`);
  response.statusCode = 200;
  response.setHeader('Content-Type', 'application/pdf');
  response.setHeader('Content-Length', stat.size);
  response.setHeader('Content-Disposition', `attachment; filename="${runId.data}-report.pdf"`);
  response.setHeader('Cache-Control', 'no-store');
  streamFile(response, path);
}
