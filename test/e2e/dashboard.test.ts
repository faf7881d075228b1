/**
 * End to end in a real browser: a short demo streams through the emulators while the dashboard
 * serves it; Debian's chromium, driven by playwright-core (no browser download), loads the page
 * before the incident, sees an anomaly marker for the incident's partition appear through the live
 * updates, moves that partition's sensitivity control and sees the band and the threshold move on
 * the page and the level land on the profile's CURRENT item in DynamoDB, marks an incident anomaly a
 * false alarm from its marker and sees the level step on the page, the hollow marker and the label
 * in the anomaly bucket, and saves a screenshot.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { defaultIncident, runDemo, type DemoLive } from '../../infra/local/demo';
import { startLocalStack } from '../../infra/local/local-stack';
import { startDashboard, type Dashboard } from '../../infra/local/dashboard/server';
import { EVENTS, KEYS } from '../../functions/core/resources';
import { LabelStore } from '../../functions/adapters/label-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { FIXTURE_LIVE, FIXTURE_PARTITION, seedDashboardData } from '../integration/dashboard-fixture';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const MINUTE = 60_000;
const LIVE_START = Date.UTC(2026, 10, 16, 15, 0);
const LIVE_MINUTES = 12;
// Early in a short stretch: the page is open before it starts, and is inspected 5 minutes in.
const INCIDENT = { ...defaultIncident(LIVE_START, LIVE_MINUTES), start: LIVE_START + 3 * MINUTE, durationMs: 6 * MINUTE };
const PARTITION = `${INCIDENT.service}#${INCIDENT.region}`;
const DATA_DIR = resolve('.harbinger/test-dashboard');
const SCREENSHOT = join(DATA_DIR, 'dashboard.png');

/** The page's DOM as the functions run in the browser below see it (the tests compile without the DOM lib). */
interface PageElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: { getElementById(id: string): PageElement | null; querySelector(selector: string): PageElement | null };

const haveChromium = existsSync(CHROMIUM);
// Locally without chromium: skip, saying why. In CI (.ci/run installs it) a missing browser fails.
const skip = !haveChromium && !process.env.CI;

const panelSel = `[data-testid="panel"][data-partition="${PARTITION}"]`;
const markerSel = `${panelSel} [data-testid="anomaly-marker"]`;

/** Launches Debian's chromium (never a downloaded browser) and opens a page that records its errors. */
async function openPage(url: string, errors: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => errors.push(`page: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(url, { timeout: 20_000 });
  return { browser, page };
}

/** Waits until the page has received the minute event for `simNow` and finished refreshing the panel. */
async function settled(page: Page, simNow: number): Promise<void> {
  const iso = new Date(simNow).toISOString();
  await page.waitForFunction(
    ([sel, at]) => document.getElementById('clock')?.getAttribute('data-sim-now') === at && document.querySelector(sel)?.getAttribute('data-refreshing') === 'false',
    [panelSel, iso] as const,
    { timeout: 20_000, polling: 100 },
  );
}

describe('dashboard in a browser during a demo', () => {
  if (skip) {
    it.skip(`SKIPPED: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does it). In CI this test fails instead.`, () => {});
    return;
  }

  it('shows the incident as it happens, applies a sensitivity change and a false-alarm label, and saves a screenshot', async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium with apt-get before npm test.`);
    rmSync(DATA_DIR, { recursive: true, force: true });
    mkdirSync(DATA_DIR, { recursive: true });
    let dashboard: Dashboard | undefined;
    let browser: Browser | undefined;
    let page: Page | undefined;
    let live: DemoLive | undefined;
    const pageErrors: string[] = [];
    const checked = { marker: null as string | null, bandBefore: 0, bandAfter: 0, dynamo: null as unknown, label: null as unknown };

    const inspect = async (simNow: number): Promise<void> => {
      if (!page || !live || !dashboard) throw new Error('the dashboard was not started');
      dashboard.notify(simNow);
      await settled(page, simNow);
      // The marker appeared through live updates (the page was loaded before the incident).
      const marker = page.locator(markerSel).first();
      await marker.waitFor({ state: 'visible', timeout: 20_000 });
      checked.marker = await marker.getAttribute('data-window');
      expect(Date.parse(checked.marker!)).toBeGreaterThanOrEqual(INCIDENT.start);
      expect(await marker.getAttribute('data-severity')).toMatch(/^(low|medium|high|critical)$/);
      expect(await marker.getAttribute('aria-label')).toMatch(/anomaly at \d\d:\d\dZ/);

      // Move the sensitivity control to its highest level with the keyboard.
      const panel = page.locator(panelSel);
      const band = panel.locator('[data-testid="band-count"]');
      const threshold = panel.locator('[data-testid="score-threshold"]');
      expect(await threshold.getAttribute('data-sensitivity')).toBe('0.95');
      const windowBefore = await band.getAttribute('data-window');
      checked.bandBefore = Number(await band.getAttribute('data-upper'));
      const thresholdBefore = Number(await threshold.getAttribute('data-threshold'));
      const control = panel.locator('[data-testid="sensitivity"]');
      await expect(control.getAttribute('aria-valuetext')).resolves.toBe('0.95');
      await control.focus();
      await control.press('End');
      await page.waitForFunction(
        (sel) => {
          const p = document.querySelector(sel);
          return p?.querySelector('[data-testid="score-threshold"]')?.getAttribute('data-sensitivity') === '0.999' && p.getAttribute('data-refreshing') === 'false';
        },
        panelSel,
        { timeout: 20_000, polling: 100 },
      );
      expect(await panel.locator('[data-testid="sensitivity-value"]').textContent()).toBe('0.999');
      expect(Number(await threshold.getAttribute('data-threshold'))).toBeGreaterThan(thresholdBefore);
      expect(await band.getAttribute('data-window')).toBe(windowBefore);
      checked.bandAfter = Number(await band.getAttribute('data-upper'));
      expect(checked.bandAfter).toBeGreaterThan(checked.bandBefore);

      // The level is on the profile's CURRENT pointer in the DynamoDB emulator (no new version).
      const item = await DynamoDBDocumentClient.from(live.clients.dynamodb).send(
        new GetCommand({ TableName: live.names.table, Key: { pk: KEYS.profilePk(PARTITION), sk: KEYS.currentSk }, ConsistentRead: true }),
      );
      checked.dynamo = item.Item;
      expect(item.Item?.sensitivity).toBe(0.999);
      expect(item.Item?.version).toBe(1);

      // Capacity and predictions are not wired yet: the page says so.
      await expect(page.locator('[data-testid="capacity-status"]').textContent()).resolves.toMatch(/Not available yet/);
      await expect(panel.locator('[data-testid="predicted-status"]').textContent()).resolves.toMatch(/not available yet/);

      // Lower the level again (Home: 0.8), then mark an incident anomaly a false alarm from its marker.
      await control.press('Home');
      await page.waitForFunction(
        (sel) => {
          const p = document.querySelector(sel);
          return p?.querySelector('[data-testid="score-threshold"]')?.getAttribute('data-sensitivity') === '0.8' && p.getAttribute('data-refreshing') === 'false';
        },
        panelSel,
        { timeout: 20_000, polling: 100 },
      );
      await panel.locator(`[data-testid="anomaly-marker"][data-window="${checked.marker}"]`).first().click();
      const detail = panel.locator('[data-testid="anomaly-detail"]');
      await detail.waitFor({ state: 'visible', timeout: 10_000 });
      const entry = detail.locator('li[data-anomaly-id]').first();
      const anomalyId = (await entry.getAttribute('data-anomaly-id'))!;
      const windowStart = Date.parse((await entry.getAttribute('data-window'))!);
      expect(windowStart).toBeGreaterThanOrEqual(INCIDENT.start);
      await entry.locator('[data-testid="label-false"]').click();
      // The level step shows on the page: in the level history, the label summary and the control.
      const step = panel.locator('[data-testid="level-history"] li[data-before="0.8"][data-after="0.86"]');
      await step.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await step.textContent()).toMatch(/^0\.8 → 0\.86 after a false alarm on the \w+ at \d\d:\d\dZ/);
      await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-sensitivity') === '0.86', panelSel, { timeout: 20_000, polling: 100 });
      expect(await panel.locator('[data-testid="label-summary"]').getAttribute('data-false')).toBe('1');
      expect(await panel.locator('[data-testid="label-level"]').textContent()).toBe('0.86');
      expect(await panel.locator('[data-testid="sensitivity-value"]').textContent()).toBe('0.86');
      const labelled = detail.locator(`li[data-anomaly-id="${anomalyId}"]`);
      await expect(labelled.locator('[data-testid="training-badge"]').textContent()).resolves.toBe('kept in training');
      await expect(labelled.locator('[data-testid="label-false"]').getAttribute('aria-pressed')).resolves.toBe('true');
      expect(await panel.locator(`[data-testid="anomaly-marker"][data-window="${checked.marker}"]`).first().getAttribute('data-verdict')).toMatch(/^(false_positive|partial)$/);
      // The label is in the anomaly bucket, and the step on the profile's CURRENT item.
      const label = await new LabelStore(new ObjectStore({ client: live.clients.s3, bucket: live.names.anomalyBucket })).get(PARTITION, windowStart, anomalyId);
      checked.label = label;
      expect(label).toMatchObject({ anomalyId, partition: PARTITION, verdict: 'false_positive', by: 'dashboard', sensitivity: { before: 0.8, after: 0.86 } });
      const stepped = await DynamoDBDocumentClient.from(live.clients.dynamodb).send(
        new GetCommand({ TableName: live.names.table, Key: { pk: KEYS.profilePk(PARTITION), sk: KEYS.currentSk }, ConsistentRead: true }),
      );
      expect(stepped.Item?.sensitivity).toBe(0.86);
      // The remediation rules and the early-warning list are on the page.
      await page.locator('[data-testid="remediation-rule"][data-rule="volume-surge-capacity"]').waitFor({ timeout: 10_000 });
      await expect(page.locator('[data-testid="remediation-status"]').textContent()).resolves.toMatch(/outcomes as of \d\d:\d\dZ \(simulated clock\)/);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    };

    let inspected = false;
    try {
      const result = await runDemo({
        dataDir: DATA_DIR,
        historyDays: 1,
        liveMinutes: LIVE_MINUTES,
        liveStart: LIVE_START,
        incidents: [INCIDENT],
        model: false,
        seed: 7,
        onLiveStart: async (l) => {
          live = l;
          dashboard = await startDashboard({ clients: l.clients, names: l.names, alertsFile: l.alertsFile, port: 0, log: (line) => pageErrors.push(line) });
          ({ browser, page } = await openPage(dashboard.url, pageErrors));
          await page.locator(panelSel).waitFor({ state: 'visible', timeout: 20_000 });
          await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-refreshing') === 'false', panelSel, { timeout: 20_000 });
          expect(await page.locator('[data-testid="panel"]').count()).toBe(8);
          expect(await page.locator(markerSel).count()).toBe(0);
        },
        onMinute: async (simNow) => {
          dashboard?.notify(simNow);
          if (!inspected && simNow >= INCIDENT.start + 5 * MINUTE) {
            inspected = true;
            await inspect(simNow);
          }
        },
        // Stop browsing and serving before the demo stops the emulators the API reads.
        onDone: async () => {
          await browser?.close();
          browser = undefined;
          await dashboard?.close();
        },
      });
      expect(inspected).toBe(true);
      expect(result.caught).toBe(true);
      expect(pageErrors).toEqual([]);
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    } finally {
      await browser?.close().catch(() => {});
      await dashboard?.close();
    }
  }, 240_000);

  it('draws predicted crossings and the capacity chart when they arrive', async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium with apt-get before npm test.`);
    mkdirSync(DATA_DIR, { recursive: true });
    const stack = await startLocalStack();
    const errors: string[] = [];
    let dashboard: Dashboard | undefined;
    let browser: Browser | undefined;
    try {
      await seedDashboardData(stack);
      const points = Array.from({ length: 30 }, (_, i) => ({
        t: FIXTURE_LIVE + (i - 10) * MINUTE,
        records: 900 + 40 * Math.sin(i / 3),
        forecast: 920 + 10 * i,
        lower: 820 + 10 * i,
        upper: 1020 + 10 * i,
        shards: i < 20 ? 2 : 3,
      }));
      dashboard = await startDashboard({ clients: stack.clients, names: stack.names, port: 0, capacity: async () => ({ points }), log: (line) => errors.push(line) });
      const crossing = FIXTURE_LIVE + 25 * MINUTE;
      // A prediction as the window closer sends it (core/early-warning Prediction + change), abridged.
      const issuedAt = FIXTURE_LIVE + 20 * MINUTE;
      const detail = { id: 'feed0123feed0123', partition: FIXTURE_PARTITION, feature: 'count', direction: 'up', kind: 'volume_spike', issuedAt, updatedAt: issuedAt, crossingAt: crossing, probability: 0.8, threshold: 140, status: 'open', change: 'opened', message: 'count forecast to rise above 140' };
      dashboard.notify({ source: EVENTS.source, 'detail-type': EVENTS.anomalyPredicted, time: new Date(issuedAt).toISOString(), detail });
      let page: Page;
      ({ browser, page } = await openPage(dashboard.url, errors));
      const panel = page.locator(`[data-testid="panel"][data-partition="${FIXTURE_PARTITION}"]`);
      const predicted = panel.locator('[data-testid="predicted-marker"]').first();
      await predicted.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await predicted.getAttribute('aria-label')).toMatch(/predicted crossing at 15:25Z of count/);
      await expect(panel.locator('[data-testid="predicted-status"]').textContent()).resolves.toMatch(/Predicted crossings: 15:25Z count/);
      expect(await panel.locator('[data-testid="anomaly-marker"][data-severity="critical"]').count()).toBeGreaterThan(0);
      await page.locator('[data-testid="capacity-status"][data-available="true"]').waitFor({ timeout: 20_000 });
      expect(await page.locator('#capacity-plot canvas').count()).toBe(1);
      expect(await page.locator('[data-testid="alert-feed"] li[data-detail-type="Log Anomaly Predicted"]').count()).toBe(1);
      const warning = page.locator('[data-testid="early-warnings"] li[data-status="open"]');
      await warning.waitFor({ timeout: 10_000 });
      expect(await warning.textContent()).toMatch(/checkout#eu-west-1 count rising at ~15:25Z · in 5 min · p=0\.80/);
      expect(await predicted.getAttribute('data-status')).toBe('open');
      // Only on the predicted feature's chart.
      expect(await panel.locator('figure[data-feature="errorRate"] [data-testid="predicted-marker"]').count()).toBe(0);
      await page.screenshot({ path: join(DATA_DIR, 'dashboard-extensions.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser?.close().catch(() => {});
      await dashboard?.close();
      await stack.stop();
    }
  }, 90_000);
});
