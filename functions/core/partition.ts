/**
 * Partitions (service × region × optional segment) derived from CloudWatch log group names by
 * configurable regex rules. First matching rule wins.
 */
import type { Partition } from './types';

/** One log-group rule: a regex with optional named groups, plus constants for what it does not capture. */
export interface PartitionRule {
  /** Regular expression (JavaScript syntax) with optional named groups `service`, `region`, `segment`. */
  pattern: string;
  /** Service when the pattern does not capture one. */
  service?: string;
  /** Region when the pattern does not capture one (else the default region). */
  region?: string;
  /** Segment when the pattern does not capture one (else no segment). */
  segment?: string;
}

/**
 * Default rules, in order:
 * `/harbinger/<region>/<service>[/<segment>]` (region `default` means the default region),
 * `/aws/lambda/<service>`, `/aws/ecs/<cluster>/<service>` (cluster becomes the segment),
 * `/ecs/<service>`, `/aws/apigateway/<name>`, `API-Gateway-Execution-Logs_<api>/<stage>`,
 * and a fallback: the last path segment is the service.
 */
export const DEFAULT_PARTITION_RULES: PartitionRule[] = [
  { pattern: '^/harbinger/(?<region>[^/]+)/(?<service>[^/]+)(?:/(?<segment>.+))?$' },
  { pattern: '^/aws/lambda/(?<service>[^/]+)' },
  { pattern: '^/aws/ecs/(?<segment>[^/]+)/(?<service>[^/]+)' },
  { pattern: '^/ecs/(?<service>[^/]+)' },
  { pattern: '^/aws/apigateway/(?<service>[^/]+)' },
  { pattern: '^API-Gateway-Execution-Logs_(?<service>[^/]+)/(?<segment>[^/]+)$' },
  { pattern: '(?<service>[^/]+)/*$' },
];

const EXAMPLE =
  '[{"pattern":"^/harbinger/(?<region>[^/]+)/(?<service>[^/]+)(?:/(?<segment>.+))?$"},{"pattern":"^/aws/lambda/(?<service>[^/]+)","region":"eu-west-1"}]';

/**
 * Parses partition rules from JSON (e.g. an environment variable).
 * @param json - a JSON array of {@link PartitionRule}; undefined or blank gives the defaults
 * @throws Error naming what is wrong (bad JSON, not an array, bad field, bad regex) with an example
 */
export function parsePartitionRules(json: string | undefined): PartitionRule[] {
  if (json === undefined || json.trim() === '') return DEFAULT_PARTITION_RULES;
  const fail = (what: string): never => {
    throw new Error(`Invalid partition rules: ${what}. Expected a JSON array of rules, e.g. ${EXAMPLE}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    return fail(`not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) return fail('the value is not an array');
  if (doc.length === 0) return fail('the array is empty');
  return doc.map((raw: unknown, i): PartitionRule => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`rule ${i} is not an object`);
    const r = raw as Record<string, unknown>;
    if (typeof r.pattern !== 'string' || r.pattern.length === 0) return fail(`rule ${i} has no "pattern" string`);
    let re: RegExp;
    try {
      re = new RegExp(r.pattern);
    } catch (err) {
      return fail(`rule ${i} pattern ${JSON.stringify(r.pattern)} is not a valid regex (${(err as Error).message})`);
    }
    for (const k of ['service', 'region', 'segment'] as const) {
      if (r[k] !== undefined && typeof r[k] !== 'string') fail(`rule ${i} field "${k}" must be a string`);
    }
    if (!re.source.includes('(?<service>') && typeof r.service !== 'string') {
      fail(`rule ${i} neither captures (?<service>...) nor sets "service"`);
    }
    const rule: PartitionRule = { pattern: r.pattern };
    if (typeof r.service === 'string') rule.service = r.service;
    if (typeof r.region === 'string') rule.region = r.region;
    if (typeof r.segment === 'string') rule.segment = r.segment;
    return rule;
  });
}

/** Lower-cases and keeps [a-z0-9-_.]; other runs become `-`. */
export function sanitisePartitionPart(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9\-_.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

const CACHE_LIMIT = 2048;
const compiled = new WeakMap<PartitionRule[], Array<{ rule: PartitionRule; re: RegExp }>>();
const caches = new WeakMap<PartitionRule[], Map<string, Partition>>();

function compile(rules: PartitionRule[]): Array<{ rule: PartitionRule; re: RegExp }> {
  let c = compiled.get(rules);
  if (!c) {
    c = rules.map((rule) => ({ rule, re: new RegExp(rule.pattern) }));
    compiled.set(rules, c);
  }
  return c;
}

/**
 * Derives the partition of a log group: the first matching rule's captures (or constants),
 * sanitised; region `default` or absent means `defaultRegion`. Memoised per rules array and log
 * group (bounded cache).
 * @param logGroup - CloudWatch log group name
 * @param rules - e.g. {@link DEFAULT_PARTITION_RULES} or {@link parsePartitionRules} output
 * @param defaultRegion - region when no rule supplies one (e.g. AWS_REGION)
 */
export function partitionOf(logGroup: string, rules: PartitionRule[], defaultRegion: string): Partition {
  let cache = caches.get(rules);
  if (!cache) caches.set(rules, (cache = new Map()));
  const key = `${defaultRegion}\u0000${logGroup}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const p = derive(logGroup, rules, defaultRegion);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, p);
  return p;
}

function derive(logGroup: string, rules: PartitionRule[], defaultRegion: string): Partition {
  for (const { rule, re } of compile(rules)) {
    const m = re.exec(logGroup);
    if (!m) continue;
    const g = m.groups ?? {};
    const service = sanitisePartitionPart(g.service ?? rule.service ?? '');
    if (!service) continue;
    return build(service, g.region ?? rule.region, g.segment ?? rule.segment, defaultRegion);
  }
  const last = logGroup.split('/').filter(Boolean).pop() ?? '';
  return build(sanitisePartitionPart(last) || 'unknown', undefined, undefined, defaultRegion);
}

function build(service: string, region: string | undefined, segment: string | undefined, defaultRegion: string): Partition {
  let r = region === undefined ? '' : sanitisePartitionPart(region);
  if (!r || r === 'default') r = sanitisePartitionPart(defaultRegion) || 'default';
  const s = segment === undefined ? '' : sanitisePartitionPart(segment);
  const p: Partition = { key: s ? `${service}#${r}#${s}` : `${service}#${r}`, service, region: r };
  if (s) p.segment = s;
  return p;
}
