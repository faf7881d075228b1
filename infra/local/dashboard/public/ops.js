/*
 * Harbinger local dashboard: the overview cards. Stream capacity (volume, forecast, shards), the
 * alert feed (with label buttons on anomalies), early warnings (predicted crossings) and the
 * remediation rules with their outcomes.
 */
'use strict';

(() => {
  const H = window.Harbinger;
  const { el, api, hhmm, MINUTE, compact, utc, timeAxis, BAND_FILL, BAND_LINE } = H;

  // ---------- capacity ----------
  let capacityPlot = null;
  function renderCapacity(c) {
    const status = document.querySelector('[data-testid="capacity-status"]');
    const box = document.getElementById('capacity-plot');
    if (!c.available) {
      status.textContent = `Not available yet. ${c.reason || ''}`.trim();
      status.setAttribute('data-available', 'false');
      box.hidden = true;
      return;
    }
    status.textContent = c.note || 'Volume against the forecast (with its interval) and the stream\'s open shards.';
    status.setAttribute('data-available', 'true');
    box.hidden = false;
    const pts = c.points;
    const data = [
      pts.map((p) => p.t / 1000),
      pts.map((p) => p.records),
      pts.map((p) => p.forecast ?? null),
      pts.map((p) => p.lower ?? null),
      pts.map((p) => p.upper ?? null),
      pts.map((p) => p.shards),
    ];
    if (!capacityPlot) {
      capacityPlot = new uPlot(
        {
          width: Math.max(260, box.clientWidth || 500),
          height: 150,
          tzDate: utc,
          legend: { show: true, live: false },
          scales: { x: { time: true }, shards: { range: (u, min, max) => [0, Math.max(2, max + 1)] } },
          axes: [timeAxis, { label: 'records', size: 56, values: (u, splits) => splits.map(compact) }, { scale: 'shards', side: 1, label: 'shards', grid: { show: false }, size: 40 }],
          series: [
            {},
            { label: 'records', stroke: '#1d2330', width: 1.5 },
            { label: 'forecast', stroke: '#2458d3', dash: [5, 4], width: 1.5 },
            { label: 'lower', stroke: BAND_LINE, width: 1 },
            { label: 'upper', stroke: BAND_LINE, width: 1 },
            { label: 'shards', scale: 'shards', stroke: '#4b7f52', width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
          ],
          bands: [{ series: [4, 3], fill: BAND_FILL }],
        },
        data,
        box,
      );
    } else capacityPlot.setData(data);
  }

  async function refreshCapacity() {
    try {
      renderCapacity(await api('/api/capacity'));
    } catch (err) {
      document.querySelector('[data-testid="capacity-status"]').textContent = `Capacity could not be read: ${err.message}`;
    }
  }

  // ---------- alert feed ----------
  const FEED_MAX = 50;
  const timeOf = (v) => (typeof v === 'number' ? v : Date.parse(v));

  function alertLine(e) {
    const type = e['detail-type'];
    const d = e.detail || {};
    const inc = d.incident || {};
    const partition = d.partition || inc.partition || '';
    if (type === 'Log Anomaly Predicted') {
      const at = d.crossingAt ?? d.predictedAt ?? d.expectedAt ?? d.windowStart ?? d.at;
      const when = at !== undefined ? hhmm(timeOf(at)) : '?';
      const change = d.change === 'came_true' ? 'came true' : d.change === 'expired' ? 'expired' : 'crossing expected';
      const p = typeof d.probability === 'number' ? ` p=${d.probability.toFixed(2)}` : '';
      return { badge: 'predicted', cls: 'predicted', text: `${partition} ${change} at ${when}${d.feature ? ` (${d.feature}${d.direction ? ` ${d.direction}` : ''})` : ''}${p}` };
    }
    if (type === 'Log Anomaly Resolved') {
      return { badge: 'resolved', cls: 'resolved', text: `${partition} ${inc.kind || ''} resolved after ${inc.windows ?? '?'} windows, peak ${inc.severity || '?'}` };
    }
    if (type === 'Log Anomaly Detected') {
      const change = d.change === 'escalated' ? 'escalated' : 'opened';
      return {
        badge: d.severity || 'alert',
        cls: `sev-${d.severity}`,
        text: `${partition} ${hhmm(d.windowStart)} ${d.kind} p=${Number(d.probability).toFixed(3)} ${change}${d.rootCauseHints && d.rootCauseHints[0] ? ` · ${d.rootCauseHints[0]}` : ''}`,
      };
    }
    return { badge: type.replace(/^Log /, ''), cls: '', text: partition || JSON.stringify(d).slice(0, 120) };
  }

  function alertItem(e) {
    const line = alertLine(e);
    const d = e.detail || {};
    const labelable = e['detail-type'] === 'Log Anomaly Detected' && typeof d.id === 'string' && typeof d.partition === 'string';
    return el('li', { 'data-detail-type': e['detail-type'], 'data-anomaly-id': labelable ? d.id : null }, [
      el('time', { datetime: e.time, text: hhmm(Date.parse(e.time)) }),
      el('span', { class: `badge ${line.cls}`, text: line.badge }),
      el('span', { class: 'what' }, [line.text, labelable ? H.labels.controls(d.partition, d, true) : '']),
    ]);
  }

  /** Newest first; new alerts are prepended so screen readers announce only them. */
  function renderAlerts(initial) {
    const list = document.querySelector('[data-testid="alert-feed"]');
    list.replaceChildren(...initial.slice(-FEED_MAX).reverse().map(alertItem));
    document.getElementById('alerts-empty').hidden = list.children.length > 0;
  }

  function addAlert(e) {
    const list = document.querySelector('[data-testid="alert-feed"]');
    list.prepend(alertItem(e));
    while (list.children.length > FEED_MAX) list.lastElementChild.remove();
    document.getElementById('alerts-empty').hidden = true;
  }

  // ---------- early warnings ----------
  function warningItem(p) {
    const word = H.markers.STATUS_WORD[p.status] || p.status;
    const dir = p.direction === 'up' ? ' rising' : p.direction === 'down' ? ' falling' : '';
    const lead = p.resolution && p.resolution.leadMinutes !== undefined ? ` · ${p.resolution.leadMinutes} min lead` : '';
    const ahead = p.status === 'open' ? ` · in ${Math.max(0, Math.round((p.at - p.raisedAt) / MINUTE))} min` : '';
    return el('li', { 'data-status': p.status, 'data-partition': p.partition, 'data-feature': p.feature || '', title: p.message || '' }, [
      el('span', { class: `badge warning-${p.status}`, text: word }),
      el('span', {
        text: `${p.partition} ${p.feature || 'crossing'}${dir} at ~${hhmm(p.at)}${ahead}${p.probability !== undefined ? ` · p=${p.probability.toFixed(2)}` : ''}${lead} (warned ${hhmm(p.raisedAt)})`,
      }),
    ]);
  }

  async function refreshWarnings() {
    const list = document.querySelector('[data-testid="early-warnings"]');
    const empty = document.getElementById('warnings-empty');
    try {
      const { available, predictions } = await api('/api/predictions');
      const order = { open: 0, came_true: 1, expired: 2, resolved: 2 };
      const sorted = predictions.slice().sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) || b.updatedAt - a.updatedAt).slice(0, 30);
      list.replaceChildren(...sorted.map(warningItem));
      list.setAttribute('data-open', String(predictions.filter((p) => p.status === 'open').length));
      empty.hidden = sorted.length > 0;
      empty.textContent = available
        ? 'No readable predictions.'
        : 'No early warnings yet: the window closer sends "Log Anomaly Predicted" once its forecasters have warmed up and a feature is heading out of its band.';
    } catch (err) {
      empty.hidden = false;
      empty.textContent = `Early warnings could not be read: ${err.message}`;
    }
  }

  // ---------- remediation ----------
  const ATTEMPT_WORD = { pending: 'pending', cleared: 'cleared', not_cleared: 'not cleared', action_failed: 'action failed' };
  const pct = (x) => (x === null ? '–' : `${Math.round(x * 100)}%`);

  function ruleRow(r) {
    const cell = (key, value) => el('td', { 'data-key': key, text: String(value) });
    return el('tr', { 'data-testid': 'remediation-rule', 'data-rule': r.id, 'data-attempts': r.attempts, 'data-success-rate': r.successRate ?? '' }, [
      el('th', { scope: 'row', title: r.description }, [el('code', { text: r.id }), el('div', { class: 'note', text: r.description })]),
      cell('kinds', r.kinds.join(', ')),
      cell('clear', `${r.clearWithinMinutes} min`),
      cell('attempts', r.attempts),
      cell('cleared', r.cleared),
      cell('notCleared', r.notCleared),
      cell('pending', r.pending),
      cell('failed', r.actionFailed),
      cell('rate', pct(r.successRate)),
      cell('median', r.medianMinutesToClear === null ? '–' : `${+r.medianMinutesToClear.toFixed(1)} min`),
    ]);
  }

  function attemptItem(a) {
    const cleared = a.minutesToClear !== undefined ? ` in ${+a.minutesToClear.toFixed(1)} min` : '';
    return el('li', { 'data-status': a.statusNow, 'data-rule': a.ruleId }, [
      el('time', { datetime: new Date(a.firedAt).toISOString(), text: hhmm(a.firedAt) }),
      el('span', { class: `badge attempt-${a.statusNow}`, text: ATTEMPT_WORD[a.statusNow] || a.statusNow }),
      el('span', { text: `${a.ruleId} on ${a.partition} (${a.kind})${cleared}${a.actionResult ? ` · ${a.actionResult}` : ''}` }),
    ]);
  }

  async function refreshRemediation() {
    const status = document.querySelector('[data-testid="remediation-status"]');
    try {
      const r = await api('/api/remediation');
      const source = { 'simulated-clock': 'simulated clock', alerts: 'newest alert', 'wall-clock': 'wall clock' }[r.asOfSource] || r.asOfSource;
      const total = r.rules.reduce((n, x) => n + x.attempts, 0);
      status.textContent = `${r.rules.length} rule${r.rules.length === 1 ? '' : 's'}, ${total} attempt${total === 1 ? '' : 's'}; outcomes as of ${hhmm(r.asOf)} (${source}). Success: the incident cleared within the rule's time.`;
      status.setAttribute('data-as-of', new Date(r.asOf).toISOString());
      document.querySelector('[data-testid="remediation-rules"] tbody').replaceChildren(...r.rules.map(ruleRow));
      const list = document.querySelector('[data-testid="remediation-attempts"]');
      list.replaceChildren(...r.recent.map(attemptItem));
      document.getElementById('attempts-empty').hidden = r.recent.length > 0;
    } catch (err) {
      status.textContent = `Remediation could not be read: ${err.message}`;
    }
  }

  H.ops = { refreshCapacity, renderAlerts, addAlert, refreshWarnings, refreshRemediation, FEED_MAX };
})();
