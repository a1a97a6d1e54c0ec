/**
 * The privacy officer's whole flow, through clicks, in a real browser (Debian's chromium via
 * playwright-core) against the real `nepenthe serve`: load the testbed model, prune it for SAU,
 * add forget/retain/holdout documents, run SAU with a small config while watching progress,
 * read the results, sign the report and verify it. Every step is photographed; with
 * UPDATE_SCREENSHOTS=1 the pictures replace docs/app/*.png.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './build-renderer.ts';
import { startServe, type ServeProcess } from '../../helpers/serve-process.ts';

const DOCS_APP = fileURLToPath(new URL('../../../docs/app', import.meta.url));

let home: string;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
const shots: string[] = [];
const consoleErrors: string[] = [];

async function shot(name: string): Promise<void> {
  const file = join(home, 'shots', `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  shots.push(file);
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'nepenthe-e2e-'));
  mkdirSync(join(home, 'shots'));
  const { rendererDir } = await buildApp(join(home, 'build'));
  serve = await startServe(home, rendererDir);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  const code = await serve?.stop();
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_APP, { recursive: true });
    for (const file of shots) copyFileSync(file, join(DOCS_APP, file.split('/').pop()!));
  }
  if (home) rmSync(home, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('the officer flow in a browser against nepenthe serve', () => {
  it('loads the app with the token, and refuses it without', async () => {
    const bare = new URL(serve.url);
    bare.search = '';
    const refused = await fetch(bare);
    expect([401, 403]).toContain(refused.status);
    const response = await page.goto(serve.url);
    expect(response?.ok()).toBe(true);
    // The token moved into a cookie; it is not left in the address bar.
    expect(page.url()).not.toContain('token=');
    await expect
      .poll(() => page.getByRole('button', { name: 'Model', exact: true }).count())
      .toBe(1);
  });

  it('Model: loads the bundled testbed and prunes it for SAU', async () => {
    await page.getByRole('button', { name: 'Use the bundled testbed' }).click();
    const card = page.getByTestId('model-card');
    await card.waitFor();
    await expect.poll(() => card.innerText()).toMatch(/gpt2/i);
    await shot('1-model');
    // 50 % magnitude pruning, as `nepenthe demo` does.
    await page.getByLabel('Sparsity (%)').fill('50');
    await page.getByRole('button', { name: 'Prune for SAU' }).click();
    await expect
      .poll(() => card.innerText(), { timeout: 120_000 })
      .toMatch(/sparsity\s*\n?\s*(49|50|51)(\.\d)?\s*%/i);
    await shot('2-model-pruned');
  });

  it('Documents: adds forget, retain, holdout and QA files through the file browser', async () => {
    await page.getByRole('button', { name: 'Documents', exact: true }).click();
    const pick = async (set: string, folder: string, file: string) => {
      await page.getByRole('button', { name: `Add files… (${set})` }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Testbed', exact: true }).click();
      await dialog.getByRole('button', { name: `${folder} (folder)` }).click();
      if (set === 'qa') {
        await dialog.getByRole('button', { name: `Choose ${file}` }).click();
      } else {
        await dialog.getByRole('checkbox', { name: `Select ${file}` }).check();
        await dialog.getByRole('button', { name: 'Choose 1 selected' }).click();
      }
      await dialog.waitFor({ state: 'hidden' });
    };
    await pick('forget', 'corpus', 'forget10.jsonl');
    await pick('retain', 'corpus', 'retain.jsonl');
    await pick('holdout', 'corpus', 'holdout.jsonl');
    await pick('qa', 'qa', 'forget10.jsonl');
    for (const [set, file] of [
      ['forget', 'forget10.jsonl'],
      ['retain', 'retain.jsonl'],
      ['holdout', 'holdout.jsonl'],
      ['qa', 'forget10.jsonl'],
    ] as const) {
      const table = page.getByTestId(`docs-${set}`);
      await table.waitFor();
      await expect.poll(() => table.innerText(), { timeout: 60_000 }).toContain(file);
    }
    // The forget file is previewed with its PII spans marked.
    await expect.poll(() => page.locator('mark').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot('3-documents');
  });

  it('Method: chooses SAU in calibrated mode (the default: no learning rate to pick)', async () => {
    await page.getByRole('button', { name: 'Method', exact: true }).click();
    await page.getByRole('radio', { name: /SAU/i }).check();
    expect(await page.getByTestId('calibrated').isChecked()).toBe(true);
    expect(await page.getByTestId('calibrated-hint').innerText()).toMatch(
      /holdout is split in two/,
    );
    // A learning rate typed under Advanced fixes the run; reset, calibrated mode is back.
    await page.getByText('Advanced', { exact: false }).first().click();
    const lr = page.getByLabel('lr', { exact: true });
    await lr.fill('0.001');
    await expect
      .poll(() => page.getByTestId('calibrated-hint').innerText())
      .toMatch(/uses them as they are/);
    await page.getByRole('button', { name: 'Reset lr', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('calibrated-hint').innerText())
      .toMatch(/holdout is split in two/);
    // Calibrating, SAU's base loss defaults to the target-NLL loss (methods.list's calibratedDefaults).
    expect(await page.getByLabel('baseMethod', { exact: true }).inputValue()).toBe('targetnll');
    await page.getByTestId('calibrated').scrollIntoViewIfNeeded();
    await shot('4-method');
  });

  it("Run: starts, shows live progress and the stopping rule's checks, and finishes", async () => {
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    expect(await page.getByTestId('stopping').innerText()).toMatch(/^calibrated mode/);
    await page.getByRole('button', { name: 'Start run' }).click();
    const progress = page.getByTestId('run-progress');
    await progress.waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('run-state').innerText(), { timeout: 60_000 })
      .toMatch(/running/i);
    // Live training numbers: the step counter moves while the run is still going (the charts
    // draw the same events).
    const step = page.locator('dt:text-is("Step") + dd');
    await expect
      .poll(() => step.innerText(), { timeout: 180_000, interval: 200 })
      .toMatch(/^\d+ \/ \d+$/);
    expect(await page.getByTestId('run-state').innerText()).toMatch(/running/i);
    await expect.poll(() => page.locator('canvas').count()).toBeGreaterThan(0);
    // Calibrated mode's checks arrive as they are taken: the panel shows the AUC now.
    const panel = page.getByTestId('calibration-panel');
    await panel.waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('calibration-auc').innerText()).toMatch(/^\d\.\d{3}$/);
    await shot('5-run');
    await expect
      .poll(() => page.getByTestId('run-state').innerText(), {
        timeout: 300_000,
        interval: 1000,
      })
      .toMatch(/done/i);
    // The run's decisions, from training.json once done: it ended by stopping or by its budget.
    const decisions = page.getByTestId('calibration-decisions');
    await expect.poll(() => decisions.innerText(), { timeout: 30_000 }).toMatch(/step \d+:/);
    await shot('6-run-done');
  });

  it('Results: shows the verdict and before/after metrics', async () => {
    await page.getByRole('button', { name: 'Results', exact: true }).click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 30_000 });
    await expect.poll(() => verdict.innerText()).toMatch(/PASS|FAIL/);
    // SAU really forgot: the forget set's verbatim exact rate fell from 1 (0.0 in calibrated mode).
    const exact = /forget\.verbatim\.exactRate after = ([\d.]+)/.exec(await verdict.innerText());
    expect(exact, await verdict.innerText()).not.toBeNull();
    expect(Number(exact![1])).toBeLessThan(0.5);
    await shot('7-results');
  });

  it('Report: signs with the default identity and verifies the signed PDF', async () => {
    await page.getByRole('button', { name: 'Report', exact: true }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill('e2e passphrase 1234');
    await page.getByRole('button', { name: 'Sign report' }).click();
    const signed = page.getByTestId('signed-report');
    await signed.waitFor({ timeout: 120_000 });
    await expect.poll(() => signed.innerText()).toMatch(/report\.pdf/);
    await page.getByRole('button', { name: 'Verify' }).click();
    const verified = page.getByTestId('verify-result');
    await verified.waitFor({ timeout: 60_000 });
    await expect.poll(() => verified.innerText()).toMatch(/valid/i);
    expect(await verified.innerText()).not.toMatch(/invalid/i);
    await shot('8-report');
  });

  it('History: lists the run with its report', async () => {
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await expect
      .poll(() => page.getByRole('table').first().innerText(), { timeout: 30_000 })
      .toMatch(/sau/i);
    await shot('9-history');
    const runs = readdirSync(join(home, 'workspace')).filter((d) => d.startsWith('run-'));
    expect(runs).toHaveLength(1);
    expect(readdirSync(join(home, 'workspace', runs[0]!))).toContain('report.pdf');
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });
});
