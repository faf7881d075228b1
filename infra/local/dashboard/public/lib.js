/* Harbinger local dashboard: helpers shared by the page's scripts (window.Harbinger). */
'use strict';

(() => {
  /** Creates an element: `text` sets its text, other attributes are set as strings (true: present, false/null: absent). */
  function el(tag, attrs = {}, children = []) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) e.append(c);
    return e;
  }

  /** Fetches a JSON API path; a non-2xx answer throws with the API's message. */
  async function api(path, init) {
    const res = await fetch(path, init);
    let body = {};
    try {
      body = await res.json();
    } catch {
      // empty or not JSON
    }
    if (!res.ok) throw new Error(body.error || `${res.status} ${res.statusText}`);
    return body;
  }

  /** POSTs a JSON body. */
  const postJson = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** A number in a few characters: 1.2k, 3.4M. */
  const compact = (n) => {
    const a = Math.abs(n);
    if (a >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
    if (a >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
    return String(+n.toPrecision(3));
  };

  window.Harbinger = {
    el,
    api,
    postJson,
    hhmm: (t) => `${new Date(t).toISOString().slice(11, 16)}Z`,
    stamp: (t) => `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')}Z`,
    fmtLevel: (l) => String(Number(Number(l).toPrecision(4))),
    SEVERITIES: ['low', 'medium', 'high', 'critical'],
    SEV_LETTER: { low: 'L', medium: 'M', high: 'H', critical: 'C' },
    MINUTE: 60000,
    compact,
    /** uPlot's dates in UTC. */
    utc: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    /** Time axis labels in UTC, 24 h. */
    timeAxis: { size: 28, values: (u, splits) => splits.map((v) => new Date(v * 1000).toISOString().slice(11, 16)) },
    BAND_FILL: 'rgba(36, 88, 211, 0.14)',
    BAND_LINE: 'rgba(36, 88, 211, 0.55)',
  };
})();
