/** A Server-Sent Events reader for the dashboard's integration tests. */

/** One event read from the stream. */
export interface DashboardSseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads the SSE stream; `until` resolves with the first matching event (bounded wait). */
export function collectDashboardEvents(url: string): { until: (match: (e: DashboardSseEvent) => boolean, timeoutMs?: number) => Promise<DashboardSseEvent>; stop: () => void } {
  const seen: DashboardSseEvent[] = [];
  const waiters: Array<() => void> = [];
  const controller = new AbortController();
  void (async () => {
    try {
      const res = await fetch(new URL('/api/events', url), { signal: controller.signal });
      const reader = res.body!.getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += new TextDecoder().decode(value);
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) {
            seen.push({ event, data: JSON.parse(data) as Record<string, unknown> });
            for (const w of waiters.splice(0)) w();
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    until: async (match, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = seen.find(match);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; seen: ${seen.map((e) => e.event).join(', ')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    stop: () => controller.abort(),
  };
}
