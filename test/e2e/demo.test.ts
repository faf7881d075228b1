/**
 * End to end: the demo on the embedded default, through the real emulators, handlers and SDK clients.
 * A short history keeps it quick; the assertions are the product's promise: the injected incident
 * is alerted, and a clean stretch raises no alert.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../infra/local/demo';

const common = { historyDays: 3, liveMinutes: 30, seed: 11 };

describe('demo on the embedded default', () => {
  it('alerts the injected incident in its partition, and nowhere else', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'harbinger-e2e-'));
    const r = await runDemo({ ...common, dataDir });
    expect(r.profiles.length).toBe(8);
    expect(r.eventsScored).toBe(r.liveEvents);
    expect(r.malformed).toBe(0);
    expect(r.recordsFailed).toBe(0);
    expect(r.incident).not.toBeNull();
    expect(r.caught).toBe(true);
    expect(r.incidentAlerts.every((a) => a.partition === 'checkout#us-east-1')).toBe(true);
    expect(r.detectionDelayMin).not.toBeNull();
    expect(r.detectionDelayMin!).toBeLessThanOrEqual(3);
    expect(r.falseAlerts).toEqual([]);
    // Every closed window of every partition was scored (8 partitions x 30 minutes).
    expect(r.windowsScored).toBe(8 * 30);
    // The alerts reached the local sink as EventBridge-shaped events.
    const lines = readFileSync(r.where.alertsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(r.anomalies.length);
    expect(lines[0]['detail-type']).toBe('Log Anomaly Detected');
    expect(lines[0].detail.partition).toBe('checkout#us-east-1');
  }, 300_000);

  it('raises no alert on a clean stretch', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'harbinger-e2e-'));
    const r = await runDemo({ ...common, incident: false, dataDir });
    expect(r.incident).toBeNull();
    expect(r.windowsScored).toBe(8 * 30);
    expect(r.anomalies).toEqual([]);
  }, 300_000);
});
