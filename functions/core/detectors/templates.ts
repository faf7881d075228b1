/**
 * Template detector: new templates (not in the profile dictionary) and rare templates that
 * suddenly became frequent.
 */
import type { Deviation, DetectorResult, ProfileTemplate, WindowFeatures } from '../types';
import { MAX_SCORE, fmt, quasiPoissonUpper, tailToScore, zOf } from './context';
import type { DetectorContext } from './context';

/** Options of {@link templates}. */
export interface TemplatesOptions {
  /** A new (non-error) template alerts from this many events in the window (default 30). */
  minNewEvents?: number;
  /** A new error-level template alerts from this many events in the window (default 3). */
  minNewErrorEvents?: number;
  /** Profile share below which a template counts as rare (default 0.001). */
  rareShare?: number;
  /** A rare template must be at least this many times its expected count (default 10). */
  rareMinRatio?: number;
  /** ... and have at least this many events (default 10). */
  rareMinEvents?: number;
  /** Penalty per template tested for rare surges (default 1e4, see tailToScore). */
  penalty?: number;
  /** Recognises error-level lines from their sample or template text. */
  errorPattern?: RegExp;
}

/**
 * Default error-line recogniser. WindowFeatures does not carry a level per new template, so the
 * redacted sample line (which keeps its level token) or the template text is inspected.
 */
export const ERROR_LINE = /\b(ERROR|FATAL|CRITICAL|SEVERE|PANIC|EMERG(?:ENCY)?|ALERT)\b|"(?:level|severity|lvl)"\s*:\s*"(?:error|fatal|critical|crit|err|panic)"|\b(?:level|severity|lvl)=(?:error|fatal|critical|crit|err|panic)\b|\bException\b|\bTraceback\b/i;

function short(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Scores template novelty and rarity. New template: score >= 0.95 when it has >= minNewEvents
 * events, >= 0.97 when it looks error-level with >= minNewErrorEvents (growing with the count).
 * Rare surge: Poisson tail of the template's count against share x window count. Skipped entirely
 * when the profile has no template dictionary (nothing can be "new" yet).
 * Kinds `new_template` / `rare_template`.
 */
export function templates(w: WindowFeatures, ctx: DetectorContext, options: TemplatesOptions = {}): DetectorResult | null {
  const dict = ctx.profile.templates;
  if (dict.length === 0) return null;
  const minNew = options.minNewEvents ?? 30;
  const minNewErr = options.minNewErrorEvents ?? 3;
  const rareShare = options.rareShare ?? 0.001;
  const rareRatio = options.rareMinRatio ?? 10;
  const rareMin = options.rareMinEvents ?? 10;
  const penalty = options.penalty ?? 1e4;
  const errRe = options.errorPattern ?? ERROR_LINE;
  const known = new Map<string, ProfileTemplate>(dict.map((t) => [t.id, t]));

  let newScore = 0;
  const newEvidence: string[] = [];
  const newDevs: Deviation[] = [];
  for (const [id, text] of Object.entries(w.newTemplates)) {
    if (known.has(id)) continue;
    const n = w.templates[id] ?? 0;
    const isError = errRe.test(w.samples[id] ?? '') || errRe.test(text);
    let s = 0;
    if (isError && n >= minNewErr) s = 0.97 + 0.029 * (1 - Math.exp(-(n - minNewErr) / 5));
    else if (n >= minNew) s = 0.95 + 0.049 * (1 - Math.exp(-(n - minNew) / minNew));
    if (s > 0) {
      newEvidence.push(`new ${isError ? 'error ' : ''}template (${n} events): ${short(text || id)}`);
      newDevs.push({ feature: `template:${id}`, observed: n, expected: 0, band: [0, 0], z: 0 });
    }
    newScore = Math.max(newScore, Math.min(MAX_SCORE, s));
  }

  let rareScore = 0;
  const rareEvidence: string[] = [];
  const rareDevs: Deviation[] = [];
  const total = w.features.count;
  const candidates = Object.entries(w.templates).filter(([id, n]) => {
    const t = known.get(id);
    return t !== undefined && t.share < rareShare && n >= rareMin;
  });
  for (const [id, n] of candidates) {
    const t = known.get(id) as ProfileTemplate;
    const lambda = Math.max(t.share * total, 1e-3);
    if (n < rareRatio * lambda) continue;
    const p = quasiPoissonUpper(n, lambda);
    const s = tailToScore(p, penalty * Math.max(1, candidates.length));
    if (s <= 0) continue;
    rareScore = Math.max(rareScore, s);
    const z = zOf(p, true);
    rareDevs.push({ feature: `template:${id}`, observed: n, expected: lambda, band: [0, lambda + 3 * Math.sqrt(lambda)], z });
    rareEvidence.push(
      `rare template rose to ${n} events (${fmt((100 * n) / Math.max(1, total))}% vs ${fmt(100 * t.share)}% usual): ${short(t.template)}`,
    );
  }

  const isNew = newScore >= rareScore;
  return {
    detector: 'templates',
    kind: isNew && newScore > 0 ? 'new_template' : rareScore > 0 ? 'rare_template' : 'new_template',
    score: Math.max(newScore, rareScore),
    deviations: [...rareDevs.sort((a, b) => b.z - a.z), ...newDevs],
    evidence: isNew ? [...newEvidence, ...rareEvidence] : [...rareEvidence, ...newEvidence],
  };
}
