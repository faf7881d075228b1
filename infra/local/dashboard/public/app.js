/*
 * Harbinger local dashboard: one panel per partition (feature charts with bands and markers, score
 * distribution, sensitivity control, labels), rendered with uPlot from /api data and refreshed on
 * Server-Sent Events. Helpers: lib.js; markers: markers.js; labelling: labels.js; overview cards: ops.js.
 */
'use strict';

(() => {
  const H = window.Harbinger;
  const { el, api, hhmm, stamp, fmtLevel, MINUTE, compact, utc, timeAxis, BAND_FILL, BAND_LINE } = H;
  /** Sensitivity levels the slider moves through (the API accepts any level in [0.5, 0.9999]). */
  const LEVELS = [0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999];
  const FEATURES = [
    { key: 'count', title: 'Events per minute', fmt: (n) => Math.round(n).toLocaleString('en-US'), axis: compact },
    { key: 'errorRate', title: 'Error rate', fmt: (n) => `${(n * 100).toFixed(n > 0 && n < 0.01 ? 2 : 1)}%`, axis: (n) => `${+(n * 100).toPrecision(3)}%` },
    { key: 'latencyP95', title: 'Latency p95 (ms)', fmt: (n) => `${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)} ms`, axis: compact },
  ];

  const state = { minutes: 60, panels: new Map(), clock: null, lastPartitionsCheck: 0 };

  // ---------- helpers ----------
  const idOf = (p) => `p-${p.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const nearestLevelIndex = (level) => {
    let best = 0;
    LEVELS.forEach((l, i) => {
      if (Math.abs(l - level) < Math.abs(LEVELS[best] - level)) best = i;
    });
    return best;
  };

  function showError(message) {
    const box = document.getElementById('error');
    box.hidden = !message;
    box.textContent = message || '';
  }

  function setClock(t) {
    if (!Number.isFinite(t)) return;
    if (state.clock !== null && t <= state.clock) return;
    state.clock = t;
    const c = document.getElementById('clock');
    c.textContent = stamp(t);
    c.setAttribute('datetime', new Date(t).toISOString());
  }

  // ---------- charts ----------
  function featureChart(container, panel, feature) {
    return new uPlot(
      {
        width: Math.max(200, container.clientWidth),
        height: 130,
        tzDate: utc,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true, range: () => [panel.xmin, panel.xmax] },
          // The data decides the height; a band far wider than the data is clipped at the top.
          y: { range: () => [0, panel.yMax[feature.key] || 1] },
        },
        axes: [timeAxis, { size: 44, values: (u, splits) => splits.map((v) => feature.axis(v)) }],
        series: [
          {},
          { label: 'observed', stroke: '#1d2330', width: 1.5, points: { show: false } },
          { label: 'band lower', stroke: BAND_LINE, width: 1, points: { show: false } },
          { label: 'band upper', stroke: BAND_LINE, width: 1, points: { show: false } },
          { label: 'expected', stroke: 'rgba(36, 88, 211, 0.8)', width: 1, dash: [4, 4], points: { show: false } },
        ],
        bands: [{ series: [3, 2], fill: BAND_FILL }],
        hooks: { draw: [(u) => H.markers.placeMarkers(u, panel, feature.key, (t) => H.labels.showDetail(panel, t))] },
      },
      [[], [], [], [], []],
      container,
    );
  }

  const surpriseLabel = (v) => (v === 0 ? '0' : (1 - 10 ** -v).toFixed(v));

  function scoreChart(container, panel) {
    return new uPlot(
      {
        width: Math.max(200, container.clientWidth),
        height: 130,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: false, range: [0, 4] },
          y: { distr: 3, log: 10, range: (u, min, max) => [0.6, Math.max(10, (max || 1) * 1.6)] },
        },
        axes: [
          { size: 28, splits: () => [0, 1, 2, 3, 4], values: (u, splits) => splits.map(surpriseLabel) },
          { size: 44, splits: (u, i, min, max) => [1, 10, 100, 1000, 10000].filter((v) => v <= max), values: (u, splits) => splits.map(compact) },
        ],
        series: [
          {},
          {
            label: 'windows',
            stroke: '#2458d3',
            fill: 'rgba(36, 88, 211, 0.45)',
            paths: uPlot.paths.bars({ size: [0.95, 60] }),
            points: { show: false },
          },
        ],
        hooks: {
          draw: [
            (u) => {
              const s = panel.scores;
              if (!s) return;
              const x = u.valToPos(s.threshold, 'x', true);
              const { ctx } = u;
              ctx.save();
              ctx.strokeStyle = '#a50026';
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.setLineDash([6 * devicePixelRatio, 3 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.fillStyle = '#a50026';
              ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
              ctx.textAlign = x > u.bbox.left + u.bbox.width * 0.7 ? 'right' : 'left';
              ctx.fillText(` threshold ${fmtLevel(s.sensitivity)} `, x, u.bbox.top + 12 * devicePixelRatio);
              ctx.restore();
            },
          ],
        },
      },
      [[], []],
      container,
    );
  }

  // ---------- partition panels ----------
  function createPanel(summary) {
    const p = summary.partition;
    const id = idOf(p);
    const panel = { partition: p, summary, series: null, scores: null, plots: {}, xmin: 0, xmax: 1, yMax: {}, running: null, again: false, saving: false };
    const range = el('input', {
      type: 'range',
      id: `${id}-sens`,
      min: 0,
      max: LEVELS.length - 1,
      step: 1,
      value: nearestLevelIndex(summary.sensitivity),
      'data-testid': 'sensitivity',
      'data-partition': p,
      'aria-describedby': `${id}-sens-help`,
      'aria-valuetext': fmtLevel(summary.sensitivity),
    });
    const output = el('output', { for: `${id}-sens`, 'data-testid': 'sensitivity-value', text: fmtLevel(summary.sensitivity) });
    const saving = el('span', { class: 'saving', 'aria-live': 'polite' });
    const help = el('span', { id: `${id}-sens-help`, class: 'visually-hidden', hidden: true, text: 'Probability a window must reach to raise an anomaly; also the level of the bands. Higher means fewer, surer alerts.' });
    const header = el('header', {}, [
      el('div', {}, [
        el('h2', { id: `${id}-h`, text: p }),
        el('span', { class: 'meta', 'data-testid': 'meta' }),
      ]),
      el('div', { class: 'sensitivity' }, [el('label', { for: `${id}-sens`, text: 'Sensitivity' }), range, output, saving, help]),
    ]);
    const charts = el('div', { class: 'charts' });
    const captions = {};
    for (const f of FEATURES) {
      const plot = el('div', { class: 'plot', role: 'img', 'aria-label': `${f.title} for ${p}` });
      const value = el('span', { class: 'value', 'data-testid': `band-${f.key}`, 'data-partition': p, text: '–' });
      captions[f.key] = { value, plot };
      charts.append(el('figure', { class: 'chart', 'data-feature': f.key }, [el('figcaption', {}, [el('span', { text: f.title }), value]), plot]));
    }
    const scorePlot = el('div', { class: 'plot', role: 'img', 'aria-label': `Distribution of window probabilities for ${p}, with the threshold` });
    const scoreCaption = el('span', { class: 'value', 'data-testid': 'score-threshold', 'data-partition': p, text: '–' });
    charts.append(el('figure', { class: 'chart', 'data-feature': 'scores' }, [el('figcaption', {}, [el('span', { text: 'P(anomalous) per window' }), scoreCaption]), scorePlot]));
    const panelError = el('p', { class: 'panel-error', role: 'alert' });
    const count = el('span', { 'data-testid': 'anomaly-count', text: '0' });
    const list = el('ol', { 'data-testid': 'anomaly-list' });
    const details = el('details', {}, [el('summary', {}, ['Anomalies in view (', count, ')']), list]);
    const predicted = el('p', { class: 'predicted-note', 'data-testid': 'predicted-status' });
    const detail = el('div', { class: 'anomaly-detail', 'data-testid': 'anomaly-detail', 'aria-label': `Selected anomalies of ${p}`, role: 'group', hidden: true });
    const feedback = el('div', { class: 'feedback', 'data-testid': 'label-summary', 'data-partition': p });
    const section = el('section', { class: 'panel', id, 'data-testid': 'panel', 'data-partition': p, 'aria-labelledby': `${id}-h` }, [
      header,
      charts,
      panelError,
      detail,
      feedback,
      details,
      predicted,
    ]);
    Object.assign(panel, { section, range, output, savingEl: saving, captions, scorePlot, scoreCaption, panelError, count, list, predicted, detail, feedback, selected: null });

    range.addEventListener('input', () => {
      const level = LEVELS[Number(range.value)];
      output.textContent = fmtLevel(level);
      range.setAttribute('aria-valuetext', fmtLevel(level));
    });
    range.addEventListener('change', () => void changeSensitivity(panel, LEVELS[Number(range.value)]));
    return panel;
  }

  function mountCharts(panel) {
    for (const f of FEATURES) panel.plots[f.key] = featureChart(panel.captions[f.key].plot, panel, f);
    panel.plots.scores = scoreChart(panel.scorePlot, panel);
    const ro = new ResizeObserver(() => {
      for (const [key, u] of Object.entries(panel.plots)) {
        const box = key === 'scores' ? panel.scorePlot : panel.captions[key].plot;
        const w = Math.max(200, box.clientWidth);
        if (Math.abs(u.width - w) > 2) u.setSize({ width: w, height: u.height });
      }
    });
    ro.observe(panel.section);
  }

  async function changeSensitivity(panel, level) {
    panel.saving = true;
    const { savingEl } = panel;
    savingEl.textContent = 'saving…';
    panel.panelError.textContent = '';
    try {
      const summary = await api('/api/sensitivity', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ partition: panel.partition, level }),
      });
      panel.summary = summary;
      savingEl.textContent = 'saved';
      await refreshPanel(panel);
    } catch (err) {
      savingEl.textContent = '';
      panel.panelError.textContent = `Sensitivity not changed: ${err.message}`;
      setControl(panel, panel.summary.sensitivity);
    } finally {
      panel.saving = false;
    }
  }

  function setControl(panel, level) {
    panel.range.value = String(nearestLevelIndex(level));
    panel.range.setAttribute('aria-valuetext', fmtLevel(level));
    panel.output.textContent = fmtLevel(level);
  }

  function lastIndex(values) {
    for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return i;
    return -1;
  }

  function render(panel) {
    const s = panel.series;
    const sc = panel.scores;
    const p = panel.partition;
    panel.section.setAttribute('data-sensitivity', String(s.sensitivity));
    panel.section.setAttribute('data-to', new Date(s.to).toISOString());
    if (!panel.saving) setControl(panel, s.sensitivity);
    const how = s.modelVersion ? `model ${s.modelVersion}` : 'statistical detectors';
    const level = `${+(s.sensitivity * 100).toPrecision(4)}%`;
    const bands =
      s.bandSource === 'model-thresholds'
        ? `bands: central ${level} of the model's proactive thresholds`
        : s.bandSource === 'seasonal'
          ? `bands: central ${level} of the seasonal baseline`
          : 'no band yet';
    panel.section.querySelector('[data-testid="meta"]').textContent = ` profile v${s.profileVersion} · ${how} · ${bands}`;
    // x range: the window, extended to show predicted crossings up to an hour ahead.
    const future = s.predicted.filter((x) => x.at >= s.to && x.at <= s.to + 60 * MINUTE).map((x) => x.at + MINUTE);
    panel.xmin = s.from / 1000;
    panel.xmax = Math.max(s.to, ...future) / 1000;
    const xs = s.t.map((t) => t / 1000);
    for (const f of FEATURES) {
      const d = s.features[f.key];
      const top = (values) => values.reduce((m, v) => (v !== null && v > m ? v : m), 0);
      const data = Math.max(top(d.values), top(d.expected));
      panel.yMax[f.key] = Math.max(data, Math.min(top(d.upper), data * 3)) * 1.08 || 1;
      panel.plots[f.key].setData([xs, d.values, d.lower, d.upper, d.expected]);
      const i = lastIndex(d.values);
      const cap = panel.captions[f.key].value;
      if (i >= 0) {
        const band = d.lower[i] !== null && d.upper[i] !== null ? ` · band ${f.fmt(d.lower[i])}–${f.fmt(d.upper[i])}` : ' · no band';
        cap.textContent = `${hhmm(s.t[i])} ${f.fmt(d.values[i])}${band}`;
        cap.setAttribute('data-lower', d.lower[i] ?? '');
        cap.setAttribute('data-upper', d.upper[i] ?? '');
        cap.setAttribute('data-sensitivity', String(s.sensitivity));
        cap.setAttribute('data-window', new Date(s.t[i]).toISOString());
      } else cap.textContent = 'no data in view';
      const nA = s.anomalies.length;
      panel.captions[f.key].plot.setAttribute(
        'aria-label',
        `${f.title} for ${p}, ${hhmm(s.from)} to ${hhmm(s.to)}, with the band at sensitivity ${fmtLevel(s.sensitivity)}; ${nA} anomal${nA === 1 ? 'y' : 'ies'} marked`,
      );
    }
    // Score distribution.
    const centers = sc.bins.map((b) => (b.from + b.to) / 2);
    panel.plots.scores.setData([centers, sc.bins.map((b) => (b.count > 0 ? b.count : null))]);
    panel.scoreCaption.textContent = `threshold ${fmtLevel(sc.sensitivity)} · ${sc.above} of ${sc.total} windows at or above`;
    panel.scoreCaption.setAttribute('data-sensitivity', String(sc.sensitivity));
    panel.scoreCaption.setAttribute('data-threshold', String(sc.threshold));
    panel.scoreCaption.setAttribute('data-above', String(sc.above));
    panel.scoreCaption.title = sc.source;
    // Anomalies and predictions.
    panel.count.textContent = String(s.anomalies.length);
    panel.section.classList.toggle('has-anomalies', s.anomalies.length > 0);
    H.labels.note(s.anomalies);
    panel.list.replaceChildren(
      ...s.anomalies
        .slice()
        .reverse()
        .map((a) => H.labels.anomalyItem(p, a)),
    );
    H.labels.renderDetail(panel);
    if (!s.predictionsAvailable) panel.predicted.textContent = 'Predicted crossings: not available yet (no "Log Anomaly Predicted" events received).';
    else if (s.predicted.length === 0) panel.predicted.textContent = 'Predicted crossings: none for this partition.';
    else {
      const word = H.markers.STATUS_WORD;
      panel.predicted.textContent = `Predicted crossings: ${s.predicted
        .map((x) => `${hhmm(x.at)}${x.feature ? ` ${x.feature}` : ''}${x.probability !== undefined ? ` p=${x.probability.toFixed(2)}` : ''} (${word[x.status] || x.status})`)
        .join(', ')}`;
    }
    setClock(s.to);
  }

  async function refreshPanel(panel) {
    if (panel.running) {
      panel.again = true;
      return panel.running;
    }
    panel.section.setAttribute('data-refreshing', 'true');
    panel.running = (async () => {
      do {
        panel.again = false;
        const q = `partition=${encodeURIComponent(panel.partition)}&minutes=${state.minutes}`;
        try {
          const [series, scores, labels] = await Promise.all([
            api(`/api/series?${q}`),
            api(`/api/scores?${q}`),
            api(`/api/labels?partition=${encodeURIComponent(panel.partition)}`),
          ]);
          panel.series = series;
          panel.scores = scores;
          render(panel);
          H.labels.renderSummary(panel, labels);
          if (!panel.saving) panel.panelError.textContent = '';
        } catch (err) {
          panel.panelError.textContent = `Could not refresh: ${err.message}`;
        }
      } while (panel.again);
    })().finally(() => {
      panel.running = null;
      panel.section.setAttribute('data-refreshing', 'false');
    });
    return panel.running;
  }

  async function loadPartitions() {
    const { partitions } = await api('/api/partitions');
    const box = document.getElementById('partitions');
    if (state.panels.size === 0) box.replaceChildren();
    if (partitions.length === 0 && state.panels.size === 0) {
      box.append(el('p', { class: 'note', text: 'No partition has a profile yet: they appear here once the baselines are built.' }));
      return;
    }
    for (const s of partitions) {
      if (state.panels.has(s.partition)) continue;
      if (state.panels.size === 0) box.replaceChildren();
      const panel = createPanel(s);
      const after = [...state.panels.keys()].filter((k) => k > s.partition).sort()[0];
      if (after) box.insertBefore(panel.section, state.panels.get(after).section);
      else box.append(panel.section);
      state.panels.set(s.partition, panel);
      mountCharts(panel);
      void refreshPanel(panel);
    }
  }

  function refreshAll() {
    for (const panel of state.panels.values()) void refreshPanel(panel);
  }

  // ---------- live updates ----------
  function connect() {
    const conn = document.getElementById('connection');
    const source = new EventSource('/api/events');
    source.addEventListener('open', () => {
      conn.textContent = 'Live: refreshes as windows close.';
      // (Re)connected: take the alerts sent while not listening, then follow the stream.
      void api(`/api/alerts?limit=${H.ops.FEED_MAX}`)
        .then(({ alerts }) => H.ops.renderAlerts(alerts))
        .catch(() => {});
      void H.ops.refreshWarnings();
    });
    source.addEventListener('error', () => {
      conn.textContent = 'Disconnected; reconnecting…';
    });
    source.addEventListener('minute', (ev) => {
      const { at } = JSON.parse(ev.data);
      if (Number.isFinite(at)) document.getElementById('clock').setAttribute('data-sim-now', new Date(at).toISOString());
      if (Date.now() - state.lastPartitionsCheck > 10000) {
        state.lastPartitionsCheck = Date.now();
        void loadPartitions().catch(() => {});
      }
      refreshAll();
      void H.ops.refreshCapacity();
      void H.ops.refreshRemediation();
    });
    source.addEventListener('alert', (ev) => {
      const { partition, envelope } = JSON.parse(ev.data);
      H.ops.addAlert(envelope);
      const panel = partition && state.panels.get(partition);
      if (panel) void refreshPanel(panel);
      if (envelope['detail-type'] === 'Log Anomaly Predicted') void H.ops.refreshWarnings();
      else void H.ops.refreshRemediation();
    });
    source.addEventListener('label', (ev) => {
      const { partition } = JSON.parse(ev.data);
      const panel = state.panels.get(partition);
      if (panel) void refreshPanel(panel);
    });
    source.addEventListener('sensitivity', (ev) => {
      const { partition } = JSON.parse(ev.data);
      const panel = state.panels.get(partition);
      if (panel && !panel.saving) void refreshPanel(panel);
    });
    source.addEventListener('capacity', () => void H.ops.refreshCapacity());
  }

  async function start() {
    document.getElementById('range').addEventListener('change', (ev) => {
      state.minutes = Number(ev.target.value);
      refreshAll();
    });
    try {
      await loadPartitions();
      state.lastPartitionsCheck = Date.now();
      showError('');
    } catch (err) {
      showError(`The dashboard API did not answer: ${err.message}`);
    }
    H.labels.onLabelled = (partition) => {
      const panel = state.panels.get(partition);
      if (panel) void refreshPanel(panel);
    };
    void H.ops.refreshCapacity();
    void H.ops.refreshRemediation();
    void H.ops.refreshWarnings();
    connect();
  }

  if (typeof uPlot === 'undefined') {
    showError('uPlot did not load (/vendor/uPlot.iife.min.js).');
    return;
  }
  void start();
})();
