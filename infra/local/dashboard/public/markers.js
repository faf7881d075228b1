/*
 * Harbinger local dashboard: markers drawn over a feature chart. Anomalies (one button per minute,
 * or per run of minutes too close to tell apart at the chart's width; coloured by the highest
 * severity, hollow once every anomaly under it was labelled a false alarm, ringed when one was
 * confirmed; a click opens the labelling details) and predicted
 * crossings (on the chart of the predicted feature, at `crossingAt`: open, came true, or expired).
 */
'use strict';

(() => {
  const H = window.Harbinger;
  const { el, hhmm, SEVERITIES, SEV_LETTER } = H;

  /** The charted feature a predicted feature is drawn on (bytes with the volume, p50 with p95). */
  const CHART_OF = { count: 'count', bytes: 'count', errorRate: 'errorRate', errorCount: 'errorRate', status5xxRate: 'errorRate', latencyP50: 'latencyP95', latencyP95: 'latencyP95', latencyP99: 'latencyP95' };
  const STATUS_WORD = { open: 'open', came_true: 'came true', expired: 'expired', resolved: 'resolved' };
  const STATUS_LETTER = { open: 'P', came_true: '✓', expired: '–', resolved: '–' };

  /** Groups anomalies by minute: one marker per minute, coloured by the highest severity. */
  function anomalyGroups(anomalies) {
    const by = new Map();
    for (const a of anomalies) {
      const g = by.get(a.windowStart) || { t: a.windowStart, severity: 'low', items: [] };
      g.items.push(a);
      if (SEVERITIES.indexOf(a.severity) > SEVERITIES.indexOf(g.severity)) g.severity = a.severity;
      by.set(a.windowStart, g);
    }
    return [...by.values()].sort((a, b) => a.t - b.t);
  }

  /** Marker width plus a gap, px: markers closer than this would overlap. */
  const MARKER_SPACING = 16;

  /** Merges minute groups whose markers would overlap at their x positions (px) into one marker. */
  function clusters(groups, xOf) {
    const out = [];
    for (const g of groups) {
      const x = xOf(g.t);
      const last = out[out.length - 1];
      if (last && x - last.x < MARKER_SPACING) {
        last.ts.push(g.t);
        last.items.push(...g.items);
        if (SEVERITIES.indexOf(g.severity) > SEVERITIES.indexOf(last.severity)) last.severity = g.severity;
      } else out.push({ t: g.t, x, ts: [g.t], severity: g.severity, items: [...g.items] });
    }
    return out;
  }

  /** The group's label state: every anomaly a false alarm, one confirmed, some labelled, or none. */
  function groupVerdict(items) {
    const labelled = items.filter((a) => a.verdict);
    if (labelled.some((a) => a.verdict === 'true_positive')) return 'true_positive';
    if (labelled.length === items.length) return 'false_positive';
    return labelled.length ? 'partial' : '';
  }

  const VERDICT_TEXT = { true_positive: 'confirmed a real problem', false_positive: 'marked a false alarm', partial: 'partly labelled', '': 'not labelled' };

  /** The chart a predicted crossing belongs on (the volume chart for features not charted). */
  const chartOf = (feature) => CHART_OF[feature] || 'count';

  function predictedLabel(p) {
    const dir = p.direction === 'up' ? ' (rising)' : p.direction === 'down' ? ' (falling)' : '';
    const prob = p.probability !== undefined ? `, p=${p.probability.toFixed(2)}` : '';
    const lead = p.resolution && p.resolution.leadMinutes !== undefined ? `, ${p.resolution.leadMinutes} min lead` : '';
    return `predicted crossing at ${hhmm(p.at)}${p.feature ? ` of ${p.feature}` : ''}${dir}${prob}, ${STATUS_WORD[p.status] || p.status}${lead} (predicted ${hhmm(p.raisedAt)})`;
  }

  /**
   * Draws the markers of one feature chart (uPlot draw hook).
   * @param onSelect - called with the minutes (epoch ms) under a clicked anomaly marker
   */
  function placeMarkers(u, panel, featureKey, onSelect) {
    for (const m of u.over.querySelectorAll('.marker')) m.remove();
    const width = u.over.clientWidth;
    u.over.style.setProperty('--plot-h', `${Math.max(0, u.over.clientHeight - 14)}px`);
    const data = panel.series;
    if (!data) return;
    const visible = anomalyGroups(data.anomalies).filter((g) => {
      const x = u.valToPos(g.t / 1000, 'x');
      return x >= 0 && x <= width;
    });
    for (const g of clusters(visible, (t) => u.valToPos(t / 1000, 'x'))) {
      const { x } = g;
      const verdict = groupVerdict(g.items);
      const what = g.items.map((a) => `${a.kind} p=${a.probability.toFixed(3)}${a.hint ? ` (${a.hint})` : ''}`).join('; ');
      const when = g.ts.length > 1 ? `${hhmm(g.t)}–${hhmm(g.ts[g.ts.length - 1])}` : hhmm(g.t);
      const label = `${g.severity} anomaly at ${when}: ${what}; ${VERDICT_TEXT[verdict]}. Open to label it.`;
      const m = el('button', {
        type: 'button',
        class: `marker sev-${g.severity}${verdict ? ` verdict-${verdict}` : ''}`,
        'aria-label': label,
        title: label,
        'data-testid': 'anomaly-marker',
        'data-partition': data.partition,
        'data-severity': g.severity,
        'data-verdict': verdict,
        'data-window': new Date(g.t).toISOString(),
        'data-minutes': g.ts.length,
      }, [el('span', { text: SEV_LETTER[g.severity] || '?', 'aria-hidden': 'true' })]);
      m.style.left = `${x}px`;
      m.addEventListener('click', (ev) => {
        ev.stopPropagation();
        onSelect(g.ts);
      });
      u.over.append(m);
    }
    for (const p of data.predicted) {
      if (p.feature && chartOf(p.feature) !== featureKey) continue;
      if (!p.feature && featureKey !== 'count') continue;
      const x = u.valToPos(p.at / 1000, 'x');
      if (!(x >= 0 && x <= width)) continue;
      const label = predictedLabel(p);
      const m = el('span', {
        class: `marker predicted status-${p.status}`,
        role: 'img',
        'aria-label': label,
        title: p.message ? `${label}\n${p.message}` : label,
        'data-testid': 'predicted-marker',
        'data-partition': data.partition,
        'data-status': p.status,
        'data-feature': p.feature || '',
      }, [el('span', { text: STATUS_LETTER[p.status] || 'P', 'aria-hidden': 'true' })]);
      m.style.left = `${x}px`;
      u.over.append(m);
    }
  }

  H.markers = { placeMarkers, predictedLabel, STATUS_WORD };
})();
