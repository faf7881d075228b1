/**
 * Online log template mining (Drain, He et al. 2017) plus match-only dictionary lookup.
 *
 * - {@link maskTokens} turns a message body into tokens with variables masked as `<*>`.
 * - {@link DrainMiner} groups bodies into clusters with a fixed-depth prefix tree.
 * - {@link TemplateDictionary} matches bodies against a profile's fixed templates.
 * - {@link TemplateResolver} tries the dictionary first, then mines a local candidate.
 *
 * Template ids are {@link templateIdOf} of the canonical template text, so they never depend on
 * which instance mined them or in which order lines arrived.
 */
import { stableHash } from './hash';
import type { TemplateMatch } from './types';

/** The wildcard token. */
export const WILDCARD = '<*>';

// ---------------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------------

const HAS_DIGIT = /\d/;
/** Whole-token variables (after trimming surrounding punctuation). */
const FULL_VARIABLE = [
  // UUID
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  // IPv4 with optional :port
  /^(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?$/,
  // hex literal or long hex id containing at least one digit
  /^0x[0-9a-f]+$/i,
  /^(?=[0-9a-f]*\d)[0-9a-f]{6,}$/i,
  // numbers, optionally signed/decimal, optionally with a short unit (12ms, 3.5s, 100KB, 42%)
  /^[-+]?\d+(?:[.,]\d+)*(?:[a-z]{1,3}|%)?$/i,
];
/** IPv6 (loosely: at least two colons and only hex groups), optional [..]:port. */
const IPV6 = /^\[?(?=[0-9a-f:]*:[0-9a-f]*:)[0-9a-f:]{2,39}(?:%\w+)?\]?(?::\d{1,5})?$/i;
const EMAIL = /^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$/;
const URL_QUERY = /^([a-z][a-z0-9+.-]*:\/\/[^?\s]*\?)(.*)$/i;
const QUERY_VALUE = /=([^&#]*)/g;
/** Leading/trailing punctuation that is not part of a variable. */
const EDGE_PUNCT = /^([([{<"'`]*)(.*?)([)\]}>"'`,;:.!?]*)$/s;
/** Digit-bearing runs inside a token (hex-ish included). */
const INNER_DIGITS = /(?:(?<=^|[_=:([{,])-)?(?:0x)?[0-9a-f]*\d[0-9a-f]*/gi;
/** File-system paths (posix or Windows) that contain digits are variables as a whole. */
const PATH = /^(?:~?\/|[a-z]:\\|\\\\)[^\s]*\d/i;
const REPEATED_WILDCARD = /<\*>(?:[._:-]?<\*>)+/g;

/** Masks one whitespace-free token. */
function maskToken(token: string): string {
  if (token === WILDCARD) return token;
  if (!HAS_DIGIT.test(token)) {
    if (token.includes('@') && EMAIL.test(token)) return WILDCARD;
    return token;
  }
  const q = URL_QUERY.exec(token);
  if (q) return maskToken(q[1].slice(0, -1)) + '?' + q[2].replace(QUERY_VALUE, '=<*>');
  if (token.includes(':') && IPV6.test(token)) return WILDCARD;
  const m = EDGE_PUNCT.exec(token);
  const pre = m ? m[1] : '';
  const core = m ? m[2] : token;
  const post = m ? m[3] : '';
  if (core.length > 0) {
    for (const re of FULL_VARIABLE) if (re.test(core)) return pre + WILDCARD + post;
    if (core.includes(':') && IPV6.test(core)) return pre + WILDCARD + post;
    if (PATH.test(core)) return pre + WILDCARD + post;
    if (core.includes('@') && EMAIL.test(core)) return pre + WILDCARD + post;
  }
  return token.replace(INNER_DIGITS, WILDCARD).replace(REPEATED_WILDCARD, WILDCARD);
}

const SPLIT = /\s+/;
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*';
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*';
/** Multi-token timestamps collapse to a single `<*>` before tokenising. */
const TIMESTAMPS = new RegExp(
  [
    // ISO 8601 / SQL-ish: 2024-05-01T12:00:00.123Z, 2024-05-01 12:00:00,123 +02:00, 2024/05/01 12:00:00
    '\\b\\d{4}[-/]\\d{1,2}[-/]\\d{1,2}(?:[T ]\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s?(?:Z|[+-]\\d{2}:?\\d{2}|UTC|GMT))?)?\\b',
    // syslog / ctime: [Sun] Jun 19 03:55:21 [2005]
    `\\b(?:${DAY},?\\s+)?${MONTH}\\s+\\d{1,2}(?:,?\\s+\\d{4})?\\s+\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s+(?:\\d{4}|UTC|GMT))?\\b`,
    // CLF: 01/May/2024:12:00:00 +0000
    `\\b\\d{1,2}/${MONTH}/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\s[+-]\\d{4})?`,
  ].join('|'),
  'g',
);
const TIME_HINT = /\d[:/-]\d/;

/**
 * Tokenises a message body on whitespace and masks variable tokens as `<*>`: numbers (with short
 * units), hex ids, UUIDs, IPv4/IPv6 addresses (with :port), emails, URL query values, timestamps
 * and digit runs inside tokens (paths, ids like `blk_123`, `worker-3`).
 * @param body - free text (header, level and timestamp already stripped)
 * @returns the masked tokens; empty for a blank body
 */
export function maskTokens(body: string): string[] {
  let trimmed = body.trim();
  if (trimmed.length === 0) return [];
  if (TIME_HINT.test(trimmed)) trimmed = trimmed.replace(TIMESTAMPS, WILDCARD);
  const raw = trimmed.split(SPLIT);
  // Mask, collapsing runs of identical masked tokens (variable-length lists like `blk_<*> blk_<*>`).
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const t = maskToken(raw[i]);
    if (n > 0 && t === raw[n - 1] && t.includes(WILDCARD)) continue;
    raw[n++] = t;
  }
  raw.length = n;
  return raw;
}

/** One masked token of {@link maskTokensWithRaw} with the raw text it came from. */
export interface RawToken {
  /** The token exactly as {@link maskTokens} returns it. */
  masked: string;
  /** The original text: timestamps restored, collapsed runs joined by one space. */
  raw: string;
}

/**
 * {@link maskTokens} that also returns, per masked token, the raw text it stands for (used to learn
 * template parameter values from sample lines). `maskTokensWithRaw(b).map((t) => t.masked)` equals
 * `maskTokens(b)` for every body.
 * @param body - free text (header, level and timestamp already stripped)
 */
export function maskTokensWithRaw(body: string): RawToken[] {
  const trimmed = body.trim();
  if (trimmed.length === 0) return [];
  let masked = trimmed;
  let marked = trimmed;
  const stamps: string[] = [];
  // A sentinel without whitespace marks each collapsed timestamp so its raw text can be restored.
  const SENTINEL = '\u0000';
  if (TIME_HINT.test(trimmed) && !trimmed.includes(SENTINEL)) {
    masked = trimmed.replace(TIMESTAMPS, WILDCARD);
    marked = trimmed.replace(TIMESTAMPS, (m) => {
      stamps.push(m);
      return SENTINEL;
    });
  } else if (TIME_HINT.test(trimmed)) {
    masked = marked = trimmed.replace(TIMESTAMPS, WILDCARD);
  }
  const a = masked.split(SPLIT);
  const b = marked.split(SPLIT);
  let next = 0;
  const out: RawToken[] = [];
  for (let i = 0; i < a.length; i++) {
    const t = maskToken(a[i]);
    const raw = b[i].includes(SENTINEL) ? b[i].replace(/\u0000/g, () => stamps[next++] ?? WILDCARD) : b[i];
    const prev = out[out.length - 1];
    if (prev && t === prev.masked && t.includes(WILDCARD)) {
      prev.raw += ' ' + raw;
      continue;
    }
    out.push({ masked: t, raw });
  }
  return out;
}

/**
 * Stable id of a template: {@link stableHash} of its canonical text (tokens joined by one space).
 * Independent of instance, process and arrival order.
 */
export function templateIdOf(template: string): string {
  return stableHash(template.trim().split(SPLIT).join(' '));
}

// ---------------------------------------------------------------------------------------------
// Drain
// ---------------------------------------------------------------------------------------------

/** Tuning of {@link DrainMiner}. */
export interface DrainOptions {
  /**
   * Depth of the prefix tree counting root, length layer and leaf layer, as in Drain/Drain3: the
   * number of leading-token layers is depth-3 (default 5, i.e. two leading tokens).
   */
  depth?: number;
  /**
   * Minimum share of equal tokens (masked `<*>` on both sides counts as equal) to join a cluster, in
   * [0,1] (default 0.7).
   */
  similarity?: number;
  /** Maximum children per internal node before new tokens route to `<*>` (default 100). */
  maxChildren?: number;
  /** Maximum clusters kept; least recently used clusters are evicted beyond it (default 5000). */
  maxTemplates?: number;
}

const DEFAULTS: Required<DrainOptions> = { depth: 5, similarity: 0.7, maxChildren: 100, maxTemplates: 5000 };

/** One cluster in a {@link DrainSnapshot}. */
export interface DrainSnapshotCluster {
  template: string;
  count: number;
  /** Route through the prefix tree (length key then leading-token keys). */
  path: string[];
}

/** JSON-serialisable state of a {@link DrainMiner}; clusters are ordered least recently used first. */
export interface DrainSnapshot {
  version: 1;
  options: Required<DrainOptions>;
  clusters: DrainSnapshotCluster[];
}

/** Result of {@link DrainMiner.add}. */
export interface DrainAddResult {
  /** {@link templateIdOf} of the cluster's template after this line was added. */
  templateId: string;
  template: string;
  /** True when this line created a new cluster. */
  isNew: boolean;
  /** Instance-local cluster number (stable for the lifetime of this miner only). */
  clusterId: number;
}

interface Cluster {
  id: number;
  tokens: string[];
  count: number;
  path: string[];
  leaf: Cluster[];
  templateText?: string;
  templateId?: string;
}

interface Node {
  children: Map<string, Node>;
  clusters?: Cluster[];
}

function newNode(): Node {
  return { children: new Map() };
}

/**
 * Drain-style online template miner: fixed-depth prefix tree keyed by token count and leading
 * tokens, similarity-threshold matching, `<*>` merging, and an LRU bound on the number of clusters.
 */
export class DrainMiner {
  private readonly options: Required<DrainOptions>;
  private readonly root: Node = newNode();
  /** Insertion order of this map is the LRU order (oldest first). */
  private readonly clusters = new Map<number, Cluster>();
  private nextId = 1;

  /** @param options - tuning; see {@link DrainOptions} for defaults */
  constructor(options: DrainOptions = {}) {
    this.options = { ...DEFAULTS, ...stripUndefined(options) };
    if (this.options.depth < 3) throw new Error(`DrainMiner: depth must be >= 3 (got ${this.options.depth})`);
    if (!(this.options.similarity >= 0 && this.options.similarity <= 1)) {
      throw new Error(`DrainMiner: similarity must be in [0,1] (got ${this.options.similarity})`);
    }
    if (this.options.maxTemplates < 1) throw new Error('DrainMiner: maxTemplates must be >= 1');
  }

  /** Number of clusters currently kept. */
  get size(): number {
    return this.clusters.size;
  }

  /**
   * Adds one message body and returns the cluster it joined (or created).
   * @param body - free-text body (see parse.ts)
   */
  add(body: string): DrainAddResult {
    return this.addTokens(maskTokens(body));
  }

  /** Like {@link add} for already masked tokens (see {@link maskTokens}). */
  addTokens(tokens: string[]): DrainAddResult {
    const path = this.routeFor(tokens);
    const leaf = this.leafAt(path, true)!;
    let cluster = this.bestMatch(leaf, tokens);
    let isNew = false;
    if (cluster) {
      if (mergeInto(cluster.tokens, tokens)) {
        cluster.templateText = undefined;
        cluster.templateId = undefined;
      }
      cluster.count++;
      this.touch(cluster);
    } else {
      cluster = { id: this.nextId++, tokens: tokens.slice(), count: 1, path, leaf };
      leaf.push(cluster);
      this.clusters.set(cluster.id, cluster);
      isNew = true;
      this.evict();
    }
    const template = textOf(cluster);
    return { templateId: idOf(cluster), template, isNew, clusterId: cluster.id };
  }

  /** Current templates with their counts (least recently used first). */
  templates(): Array<{ id: string; template: string; count: number; clusterId: number }> {
    return [...this.clusters.values()].map((c) => ({ id: idOf(c), template: textOf(c), count: c.count, clusterId: c.id }));
  }

  /** JSON-serialisable state; {@link DrainMiner.restore} rebuilds an equivalent miner. */
  snapshot(): DrainSnapshot {
    return {
      version: 1,
      options: { ...this.options },
      clusters: [...this.clusters.values()].map((c) => ({ template: textOf(c), count: c.count, path: c.path.slice() })),
    };
  }

  /**
   * Rebuilds a miner from {@link DrainMiner.snapshot} output.
   * @param options - overrides of the snapshot's options (e.g. a different maxTemplates)
   */
  static restore(snapshot: DrainSnapshot, options: DrainOptions = {}): DrainMiner {
    if (!snapshot || snapshot.version !== 1 || !Array.isArray(snapshot.clusters)) {
      throw new Error('DrainMiner.restore: not a DrainSnapshot (expected {version: 1, options, clusters: [...]})');
    }
    const miner = new DrainMiner({ ...snapshot.options, ...stripUndefined(options) });
    for (const s of snapshot.clusters) {
      const tokens = s.template.length === 0 ? [] : s.template.split(' ');
      const path = Array.isArray(s.path) && s.path.length > 0 ? s.path.slice() : miner.routeFor(tokens);
      const leaf = miner.leafAt(path, true)!;
      const cluster: Cluster = { id: miner.nextId++, tokens, count: s.count, path, leaf };
      leaf.push(cluster);
      miner.clusters.set(cluster.id, cluster);
      miner.evict();
    }
    return miner;
  }

  /** Path through the tree: length, then depth-3 leading tokens (depth counts root, length and leaf layers). */
  private routeFor(tokens: string[]): string[] {
    const path = [String(tokens.length)];
    const n = Math.min(this.options.depth - 3, tokens.length);
    let node = this.root.children.get(path[0]);
    for (let i = 0; i < n; i++) {
      const t = tokens[i];
      let key = t.includes('<*>') || HAS_DIGIT.test(t) ? WILDCARD : t;
      if (key !== WILDCARD && node && !node.children.has(key) && node.children.size >= this.options.maxChildren - 1) {
        key = WILDCARD;
      }
      path.push(key);
      node = node?.children.get(key);
    }
    return path;
  }

  private leafAt(path: string[], create: boolean): Cluster[] | undefined {
    let node = this.root;
    for (const key of path) {
      let next = node.children.get(key);
      if (!next) {
        if (!create) return undefined;
        next = newNode();
        node.children.set(key, next);
      }
      node = next;
    }
    if (!node.clusters) node.clusters = [];
    return node.clusters;
  }

  private bestMatch(leaf: Cluster[], tokens: string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const c of leaf) {
      const [sim, params] = similarity(c.tokens, tokens);
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = c;
        bestSim = sim;
        bestParams = params;
      }
    }
    if (best && (bestSim >= this.options.similarity || tokens.length === 0)) return best;
    return undefined;
  }

  private touch(cluster: Cluster): void {
    this.clusters.delete(cluster.id);
    this.clusters.set(cluster.id, cluster);
  }

  private evict(): void {
    while (this.clusters.size > this.options.maxTemplates) {
      const oldest = this.clusters.values().next().value as Cluster;
      this.clusters.delete(oldest.id);
      const i = oldest.leaf.indexOf(oldest);
      if (i >= 0) oldest.leaf.splice(i, 1);
      if (oldest.leaf.length === 0) this.prune(oldest.path);
    }
  }

  /** Removes empty nodes along a path so the tree equals the union of live cluster paths. */
  private prune(path: string[]): void {
    const stack: Node[] = [this.root];
    for (const key of path) {
      const next = stack[stack.length - 1].children.get(key);
      if (!next) return;
      stack.push(next);
    }
    for (let i = path.length; i > 0; i--) {
      const node = stack[i];
      if (node.children.size > 0 || (node.clusters && node.clusters.length > 0)) return;
      stack[i - 1].children.delete(path[i - 1]);
    }
  }
}

/** Drain's seqDist: share of positions with equal tokens (template wildcards not counted) and wildcard count. */
function similarity(template: string[], tokens: string[]): [number, number] {
  if (template.length === 0) return [1, 0];
  let same = 0;
  let params = 0;
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t === tokens[i]) same++;
    else if (t === WILDCARD) params++;
  }
  return [same / template.length, params];
}

/** Generalises template positions that differ from tokens; returns true when the template changed. */
function mergeInto(template: string[], tokens: string[]): boolean {
  let changed = false;
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== tokens[i] && template[i] !== WILDCARD) {
      template[i] = WILDCARD;
      changed = true;
    }
  }
  return changed;
}

function textOf(c: Cluster): string {
  if (c.templateText === undefined) c.templateText = c.tokens.join(' ');
  return c.templateText;
}

function idOf(c: Cluster): string {
  if (c.templateId === undefined) c.templateId = stableHash(textOf(c));
  return c.templateId;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dictionary (match only) and resolver
// ---------------------------------------------------------------------------------------------

interface DictEntry {
  id: string;
  template: string;
  tokens: string[];
  /** Per token: undefined = exact/wildcard compare; RegExp = token with an inner `<*>`. */
  inner: Array<RegExp | undefined>;
  literals: number;
}

const ANY_KEY = '\u0000*';

function firstKey(tokens: string[]): string {
  const t = tokens[0];
  return t === undefined || t.includes(WILDCARD) ? ANY_KEY : t;
}

function innerPattern(token: string): RegExp | undefined {
  if (token === WILDCARD || !token.includes(WILDCARD)) return undefined;
  const parts = token.split(WILDCARD).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*?')}$`, 's');
}

function tokenMatches(entry: DictEntry, i: number, token: string): boolean {
  const t = entry.tokens[i];
  if (t === WILDCARD || t === token) return true;
  const re = entry.inner[i];
  return re !== undefined && re.test(token);
}

function better(a: DictEntry, b: DictEntry | undefined): boolean {
  if (!b) return true;
  if (a.literals !== b.literals) return a.literals > b.literals;
  if (a.tokens.length !== b.tokens.length) return a.tokens.length > b.tokens.length;
  return a.id < b.id;
}

/**
 * Match-only lookup against the fixed templates of a profile. Lines are masked with
 * {@link maskTokens}; a template `<*>` matches exactly one token, a token with an inner `<*>`
 * (e.g. `blk_<*>`) matches by pattern, and a template ending in `<*>` also matches longer lines
 * (its trailing wildcard absorbs variable-length text). Exact-length matches win over trailing
 * ones; among several, the template with the most literal tokens wins.
 */
export class TemplateDictionary {
  /** token count -> first token (or ANY_KEY) -> entries */
  private readonly exact = new Map<number, Map<string, DictEntry[]>>();
  /** first token (or ANY_KEY) -> trailing-wildcard entries, longest first */
  private readonly trailing = new Map<string, DictEntry[]>();
  private readonly count: number;

  /** @param templates - the profile's templates (`id` as stored; `template` with `<*>`) */
  constructor(templates: Array<{ id: string; template: string }>) {
    for (const { id, template } of templates) {
      const tokens = template.trim().length === 0 ? [] : template.trim().split(SPLIT);
      const entry: DictEntry = {
        id,
        template,
        tokens,
        inner: tokens.map(innerPattern),
        literals: tokens.filter((t) => !t.includes(WILDCARD)).length,
      };
      const key = firstKey(tokens);
      let byFirst = this.exact.get(tokens.length);
      if (!byFirst) this.exact.set(tokens.length, (byFirst = new Map()));
      push(byFirst, key, entry);
      if (tokens.length > 0 && tokens[tokens.length - 1] === WILDCARD) push(this.trailing, key, entry);
    }
    for (const list of this.trailing.values()) list.sort((a, b) => b.tokens.length - a.tokens.length);
    this.count = templates.length;
  }

  /** Number of templates in the dictionary. */
  get size(): number {
    return this.count;
  }

  /** Matches a raw body; undefined when no template fits. */
  match(body: string): { id: string; template: string } | undefined {
    return this.matchTokens(maskTokens(body));
  }

  /** Matches already masked tokens (see {@link maskTokens}). */
  matchTokens(tokens: string[]): { id: string; template: string } | undefined {
    if (this.count === 0) return undefined;
    const key = tokens.length > 0 ? tokens[0] : ANY_KEY;
    let best: DictEntry | undefined;
    const byFirst = this.exact.get(tokens.length);
    if (byFirst) {
      for (const list of [byFirst.get(key), key === ANY_KEY ? undefined : byFirst.get(ANY_KEY)]) {
        if (!list) continue;
        for (const e of list) if (better(e, best) && matchesPrefix(e, tokens, e.tokens.length)) best = e;
      }
    }
    if (!best) {
      for (const list of [this.trailing.get(key), key === ANY_KEY ? undefined : this.trailing.get(ANY_KEY)]) {
        if (!list) continue;
        for (const e of list) {
          if (e.tokens.length > tokens.length) continue;
          if (better(e, best) && matchesPrefix(e, tokens, e.tokens.length - 1)) best = e;
        }
      }
    }
    return best ? { id: best.id, template: best.template } : undefined;
  }
}

function matchesPrefix(entry: DictEntry, tokens: string[], n: number): boolean {
  for (let i = 0; i < n; i++) if (!tokenMatches(entry, i, tokens[i])) return false;
  return true;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A {@link TemplateMatch} with the local miner's grouping for candidates. */
export interface ResolvedTemplate extends TemplateMatch {
  /** For candidates: the template of the local Drain cluster the line joined (instance-dependent). */
  candidateTemplate?: string;
}

/**
 * Resolves a body to a template id: the profile dictionary first (`isNew: false`); otherwise the
 * line is a candidate (`isNew: true`).
 *
 * Candidate ids are {@link templateIdOf} of the MASKED LINE itself (`maskTokens(body).join(' ')`),
 * not of the local Drain cluster: a cluster's template depends on which lines one instance happened
 * to see, so two shards would disagree. The masked line depends only on the line, so every instance
 * gives identical lines of the same shape the same id; the next profile build merges candidates.
 * The local {@link DrainMiner} grouping is still reported as `candidateTemplate` for evidence.
 */
export class TemplateResolver {
  private readonly miner: DrainMiner;

  /**
   * @param dictionary - templates of the current profile
   * @param options - options of the local candidate miner
   */
  constructor(
    private readonly dictionary: TemplateDictionary,
    options: DrainOptions = {},
  ) {
    this.miner = new DrainMiner({ maxTemplates: 1000, ...stripUndefined(options) });
  }

  /** Resolves one body (see class docs). */
  resolve(body: string): ResolvedTemplate {
    const tokens = maskTokens(body);
    const hit = this.dictionary.matchTokens(tokens);
    if (hit) return { templateId: hit.id, template: hit.template, isNew: false };
    const template = tokens.join(' ');
    const candidate = this.miner.addTokens(tokens);
    return { templateId: stableHash(template), template, isNew: true, candidateTemplate: candidate.template };
  }

  /** Candidate clusters mined locally so far. */
  candidates(): Array<{ id: string; template: string; count: number }> {
    return this.miner.templates().map(({ id, template, count }) => ({ id, template, count }));
  }
}
