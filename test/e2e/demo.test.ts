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
    // The VAE was trained by the local retraining state machine, served, and scored every window.
    expect(r.model?.status).toBe('SUCCEEDED');
    expect(r.model?.version).toMatch(/^harbinger-vae-/);
    expect(r.model?.states).toEqual(expect.arrayContaining(['PrepareDataset', 'TrainModel', 'EvaluateChallenger', 'DeployModel', 'PublishProfiles']));
    expect(r.model?.windowsScored).toBe(8 * 30);
    expect(r.model?.fallbacks).toBe(0);
    expect(r.incidentAlerts.every((a) => a.scoring?.mode === 'model' && a.modelVersion === r.model?.version)).toBe(true);
    expect(r.incidentAlerts.some((a) => a.detectors.some((d) => d.name === 'vae' && d.score >= 0.95))).toBe(true);
    // Every closed window of every partition was scored (8 partitions x 30 minutes).
    expect(r.windowsScored).toBe(8 * 30);
    // Alerts are grouped: far fewer alerts than anomalous windows, each an incident opened,
    // escalated or resolved, and they reached the local sink as EventBridge-shaped events.
    expect(r.incidentAlerts.length).toBeGreaterThanOrEqual(5);
    const opened = r.alerts.filter((a) => a.change === 'opened');
    expect(opened.length).toBeGreaterThanOrEqual(1);
    expect(opened.length).toBeLessThanOrEqual(4);
    expect(r.alerts.length).toBeLessThan(r.anomalies.length);
    const lines = readFileSync(r.where.alertsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(r.alerts.length);
    expect(lines[0]['detail-type']).toBe('Log Anomaly Detected');
    expect(lines[0].detail.partition).toBe('checkout#us-east-1');
    expect(lines[0].detail.change).toBe('opened');
    expect(lines[0].detail.incident.id).toBe(opened[0].incidentId);
  }, 600_000);

  it('raises no alert on a clean stretch', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'harbinger-e2e-'));
    const r = await runDemo({ ...common, incident: false, dataDir });
    expect(r.incident).toBeNull();
    expect(r.windowsScored).toBe(8 * 30);
    expect(r.model?.windowsScored).toBe(8 * 30);
    expect(r.anomalies).toEqual([]);
    expect(r.alerts).toEqual([]);
  }, 600_000);
});
