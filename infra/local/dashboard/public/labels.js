/*
 * Harbinger local dashboard: alert feedback. "Real problem" / "False alarm" buttons on every
 * anomaly (marker details, the panel's anomaly list, the alert feed) POST /api/labels; each
 * partition shows its labelled counts, its alert level and the steps labels caused, and which
 * labelled windows stay out of the next training set.
 */
'use strict';

(() => {
  const H = window.Harbinger;
  const { el, api, postJson, hhmm, stamp, fmtLevel, SEV_LETTER } = H;
  const WORDS = { true_positive: 'real problem', false_positive: 'false alarm' };

  /** What the page knows about each anomaly's label: id -> {verdict, training}. */
  const known = new Map();

  function statusParts(id) {
    const k = known.get(id);
    if (!k || !k.verdict) return [el('span', { class: 'label-word', text: 'unlabelled' })];
    const parts = [el('span', { class: `label-word verdict-${k.verdict}`, text: WORDS[k.verdict] })];
    if (k.training === 'excluded') parts.push(el('span', { class: 'badge training-excluded', 'data-testid': 'training-badge', title: 'This window is left out of the next training set', text: 'excluded from training' }));
    else if (k.training === 'kept') parts.push(el('span', { class: 'badge training-kept', 'data-testid': 'training-badge', title: 'A false alarm: the window is normal data in the next training set', text: 'kept in training' }));
    return parts;
  }

  /** Re-renders every control of one anomaly on the page (marker details, lists, feed). */
  function updateControls(id) {
    const k = known.get(id);
    for (const box of document.querySelectorAll(`.label-controls[data-anomaly-id="${CSS.escape(id)}"]`)) {
      box.setAttribute('data-verdict', (k && k.verdict) || '');
      box.querySelector('[data-testid="label-status"]').replaceChildren(...statusParts(id));
      for (const b of box.querySelectorAll('button[data-verdict]')) b.setAttribute('aria-pressed', String(Boolean(k && k.verdict === b.getAttribute('data-verdict'))));
    }
  }

  /** Records labels the page learned (series anomalies, label lists) and updates their controls. */
  function note(items) {
    for (const a of items) {
      const id = a.id || a.anomalyId;
      if (!id) continue;
      const prev = known.get(id);
      const next = { verdict: a.verdict || null, training: a.training || null };
      known.set(id, next);
      if (!prev || prev.verdict !== next.verdict || prev.training !== next.training) updateControls(id);
    }
  }

  /** Called after a label was stored (set by app.js: refreshes the partition's panel). */
  let onLabelled = () => {};

  async function send(box, partition, id, verdict) {
    const status = box.querySelector('[data-testid="label-status"]');
    const buttons = box.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    status.textContent = 'saving…';
    try {
      const r = await postJson('/api/labels', { partition, anomalyId: id, verdict, by: 'dashboard' });
      note(r.partition.labels);
      updateControls(id);
      onLabelled(partition, r);
    } catch (err) {
      updateControls(id);
      status.append(el('span', { class: 'label-error', role: 'alert', text: ` not labelled: ${err.message}` }));
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  /** The status and the two buttons for one anomaly. */
  function controls(partition, anomaly, compact = false) {
    if (anomaly.verdict !== undefined) note([anomaly]);
    const id = anomaly.id;
    const box = el('span', { class: 'label-controls', 'data-anomaly-id': id, 'data-partition': partition });
    box.append(el('span', { class: 'label-status', 'data-testid': 'label-status', 'aria-live': 'polite' }));
    for (const verdict of ['true_positive', 'false_positive']) {
      const word = WORDS[verdict];
      const b = el('button', {
        type: 'button',
        class: `label-button ${verdict === 'false_positive' ? 'false' : 'true'}`,
        'data-verdict': verdict,
        'data-testid': verdict === 'false_positive' ? 'label-false' : 'label-true',
        'aria-label': `Mark the ${anomaly.kind || 'anomaly'}${anomaly.windowStart ? ` at ${hhmm(anomaly.windowStart)}` : ''} in ${partition} a ${word}`,
        text: compact ? (verdict === 'false_positive' ? 'false alarm' : 'real') : word[0].toUpperCase() + word.slice(1),
      });
      b.addEventListener('click', () => void send(box, partition, id, verdict));
      box.append(b);
    }
    box.setAttribute('data-verdict', '');
    queueMicrotask(() => updateControls(id));
    return box;
  }

  /** One anomaly as a list item with its label controls. */
  function anomalyItem(partition, a) {
    return el('li', { 'data-severity': a.severity, 'data-anomaly-id': a.id, 'data-window': new Date(a.windowStart).toISOString() }, [
      el('span', { class: `swatch sev-${a.severity}${a.verdict === 'false_positive' ? ' hollow' : ''}`, 'aria-hidden': 'true', text: SEV_LETTER[a.severity] }),
      el('span', { class: 'what', text: ` ${hhmm(a.windowStart)} ${a.severity} ${a.kind} p=${a.probability.toFixed(3)}${a.hint ? ` · ${a.hint}` : ''} ` }),
      controls(partition, a),
    ]);
  }

  /** The panel's detail box: the anomalies of the selected minutes (a clicked marker), with buttons. */
  function renderDetail(panel) {
    const box = panel.detail;
    const s = panel.series;
    const minutes = panel.selected || [];
    const items = s ? s.anomalies.filter((a) => minutes.includes(a.windowStart)) : [];
    if (!items.length) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    box.hidden = false;
    const close = el('button', { type: 'button', class: 'close', 'aria-label': 'Close the anomaly details', text: '×' });
    close.addEventListener('click', () => {
      panel.selected = null;
      renderDetail(panel);
    });
    const first = Math.min(...minutes);
    const last = Math.max(...minutes);
    box.setAttribute('data-window', new Date(first).toISOString());
    box.replaceChildren(
      el('div', { class: 'detail-head' }, [
        el('strong', { text: `Anomalies at ${hhmm(first)}${last > first ? `–${hhmm(last)}` : ''}` }),
        el('span', { class: 'note', text: ' Was it a real problem?' }),
        close,
      ]),
      el('ol', {}, items.map((a) => anomalyItem(panel.partition, a))),
    );
  }

  /** Opens the detail box on some minutes (epoch ms) and moves focus to it. */
  function showDetail(panel, minutes) {
    panel.selected = minutes;
    renderDetail(panel);
    const first = panel.detail.querySelector('button[data-verdict]');
    if (first) first.focus({ preventScroll: false });
  }

  /** The panel's label summary and level history (GET /api/labels). */
  function renderSummary(panel, r) {
    note(r.labels);
    const box = panel.feedback;
    box.setAttribute('data-true', String(r.truePositives));
    box.setAttribute('data-false', String(r.falsePositives));
    box.setAttribute('data-level', r.sensitivity === null ? '' : String(r.sensitivity));
    const level = r.sensitivity === null ? 'no profile' : fmtLevel(r.sensitivity);
    const summary = el('p', { class: 'label-summary' }, [
      el('strong', { text: 'Labels: ' }),
      `${r.truePositives} real problem${r.truePositives === 1 ? '' : 's'} · ${r.falsePositives} false alarm${r.falsePositives === 1 ? '' : 's'} · alert level `,
      el('span', { 'data-testid': 'label-level', text: level }),
    ]);
    const steps = r.levelHistory.map((s) =>
      el('li', { 'data-before': s.before, 'data-after': s.after, 'data-anomaly-id': s.anomalyId }, [
        `${fmtLevel(s.before)} → ${fmtLevel(s.after)} after a ${WORDS[s.verdict]} on the ${s.kind} at ${hhmm(s.windowStart)} (labelled ${stamp(s.at)})`,
      ]),
    );
    const last = r.levelHistory[r.levelHistory.length - 1];
    const drift = last && r.sensitivity !== null && r.sensitivity !== last.after ? el('p', { class: 'note', text: `The level was set by hand since (now ${level}).` }) : '';
    const history = steps.length
      ? el('ol', { class: 'level-history', 'data-testid': 'level-history', 'aria-label': 'Alert level steps caused by labels' }, steps)
      : el('p', { class: 'note', 'data-testid': 'level-history-empty', text: 'No label has moved the alert level yet: each false alarm raises it one bounded step.' });
    const training = r.labels.length
      ? el('p', { class: 'note', text: `Training: ${r.labels.filter((l) => l.training === 'excluded').length} labelled window(s) excluded, ${r.labels.filter((l) => l.training === 'kept').length} false alarm window(s) kept as normal data.` })
      : '';
    box.replaceChildren(summary, history, drift, training);
  }

  /** Reloads a panel's labels. */
  async function refreshSummary(panel) {
    try {
      renderSummary(panel, await api(`/api/labels?partition=${encodeURIComponent(panel.partition)}`));
    } catch (err) {
      panel.feedback.textContent = `Labels could not be read: ${err.message}`;
    }
  }

  H.labels = {
    controls,
    anomalyItem,
    note,
    renderDetail,
    showDetail,
    renderSummary,
    refreshSummary,
    known,
    set onLabelled(fn) {
      onLabelled = fn;
    },
  };
})();
