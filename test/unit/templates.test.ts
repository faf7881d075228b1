import { describe, expect, it } from 'vitest';
import { stableHash } from '../../functions/core/hash';
import { DrainMiner, maskTokens, TemplateDictionary, templateIdOf, TemplateResolver } from '../../functions/core/templates';

describe('maskTokens', () => {
  it('masks numbers, ids, addresses, emails, URLs, paths and timestamps', () => {
    expect(maskTokens('took 123 ms size=42 worker-3 blk_-6952295868487656571')).toEqual(['took', '<*>', 'ms', 'size=<*>', 'worker-<*>', 'blk_<*>']);
    expect(maskTokens('req 550e8400-e29b-41d4-a716-446655440000 from 10.1.2.3:8080 and [::1]:443 or fe80::1ff:fe23:4567:890a')).toEqual(['req', '<*>', 'from', '<*>', 'and', '<*>', 'or', '<*>']);
    expect(maskTokens('id 0x7fed806eb5d hash deadbeef12 mail bob@example.com')).toEqual(['id', '<*>', 'hash', '<*>', 'mail', '<*>']);
    expect(maskTokens('GET https://api.example.com/v1/items?id=42&q=shoes done')).toEqual(['GET', 'https://api.example.com/v<*>/items?id=<*>&q=<*>', 'done']);
    expect(maskTokens('open /var/data/7/part-0001 failed')).toEqual(['open', '<*>', 'failed']);
    expect(maskTokens('at 2024-05-01T12:00:00.123Z and Sun Jul 10 03:55:21 2005 ok')).toEqual(['at', '<*>', 'and', '<*>', 'ok']);
    expect(maskTokens('took 12ms (3.5s), 42%')).toEqual(['took', '<*>', '(<*>),', '<*>']);
  });

  it('keeps words, splits on any whitespace, collapses repeated variable lists', () => {
    expect(maskTokens('  Connection\treset   by peer ')).toEqual(['Connection', 'reset', 'by', 'peer']);
    expect(maskTokens('delete blk_1 blk_2 blk_3 done')).toEqual(['delete', 'blk_<*>', 'done']);
    expect(maskTokens('')).toEqual([]);
  });
});

describe('templateIdOf', () => {
  it('is the stable hash of the canonical text', () => {
    expect(templateIdOf('a <*>  b')).toBe(stableHash('a <*> b'));
    expect(templateIdOf(' a <*> b ')).toBe(templateIdOf('a <*> b'));
    expect(templateIdOf('a <*> b')).toMatch(/^[0-9a-f]{16}$/);
  });
});

const LOGS = [
  'Received block blk_1 of size 67108864 from 10.250.19.102',
  'Received block blk_2 of size 1048576 from 10.250.10.6',
  'Connection reset by peer on socket 12',
  'Received block blk_3 of size 3 from 10.250.14.224',
  'Connection reset by peer on socket 7',
  'Login by alice from 10.0.0.1 accepted',
  'Login by bob from 10.0.0.2 accepted',
  'Deleting file /tmp/a1',
  'Deleting file /tmp/b2',
  'Job 7 finished with status ok',
];

describe('DrainMiner', () => {
  it('groups a small hand-made log set', () => {
    const m = new DrainMiner();
    const r = LOGS.map((l) => m.add(l));
    const byGroup = (i: number) => r[i].clusterId;
    expect(new Set([0, 1, 3].map(byGroup)).size).toBe(1);
    expect(byGroup(2)).toBe(byGroup(4));
    expect(byGroup(5)).toBe(byGroup(6));
    expect(byGroup(7)).toBe(byGroup(8));
    expect(new Set(r.map((x) => x.clusterId)).size).toBe(5);
    expect(r[0].isNew).toBe(true);
    expect(r[1].isNew).toBe(false);
    const templates = Object.fromEntries(m.templates().map((t) => [t.template, t.count]));
    expect(templates).toEqual({
      'Received block blk_<*> of size <*> from <*>': 3,
      'Connection reset by peer on socket <*>': 2,
      'Login by <*> from <*> accepted': 2,
      'Deleting file <*>': 2,
      'Job <*> finished with status ok': 1,
    });
    expect(r[6].templateId).toBe(templateIdOf('Login by <*> from <*> accepted'));
  });

  it('generalises a template as lines arrive (id follows the text)', () => {
    const m = new DrainMiner();
    const a = m.add('cache warm for tenant acme region eu');
    const b = m.add('cache warm for tenant globex region eu');
    expect(a.template).toBe('cache warm for tenant acme region eu');
    expect(b.template).toBe('cache warm for tenant <*> region eu');
    expect(b.clusterId).toBe(a.clusterId);
    expect(b.templateId).toBe(templateIdOf(b.template));
  });

  it('does not merge lines below the similarity threshold or of different length', () => {
    const m = new DrainMiner();
    expect(m.add('VM Started ok').clusterId).not.toBe(m.add('VM Paused ok').clusterId);
    expect(m.add('a b c').clusterId).not.toBe(m.add('a b c d').clusterId);
  });

  it('snapshot/restore round-trips through JSON and gives the same ids', () => {
    const m = new DrainMiner({ maxTemplates: 50 });
    LOGS.forEach((l) => m.add(l));
    const restored = DrainMiner.restore(JSON.parse(JSON.stringify(m.snapshot())));
    expect(restored.templates().map(({ id, template, count }) => ({ id, template, count }))).toEqual(
      m.templates().map(({ id, template, count }) => ({ id, template, count })),
    );
    const more = ['Received block blk_9 of size 5 from 10.0.0.9', 'Login by carol from 10.0.0.3 accepted', 'Brand new line here'];
    for (const l of more) {
      const x = m.add(l);
      const y = restored.add(l);
      expect(y.templateId).toBe(x.templateId);
      expect(y.isNew).toBe(x.isNew);
    }
    expect(() => DrainMiner.restore({} as never)).toThrow(/DrainSnapshot/);
  });

  it('bounds clusters with LRU eviction', () => {
    const m = new DrainMiner({ maxTemplates: 3 });
    m.add('alpha one');
    m.add('beta two');
    m.add('gamma three');
    m.add('alpha one'); // touch alpha: beta is now least recently used
    m.add('delta four');
    expect(m.size).toBe(3);
    expect(m.templates().map((t) => t.template)).toEqual(['gamma three', 'alpha one', 'delta four']);
    expect(m.add('beta two').isNew).toBe(true);
    expect(m.size).toBe(3);
    for (let i = 0; i < 200; i++) m.add(`unique${'x'.repeat(i % 7)} word${String.fromCharCode(97 + (i % 26))} ${'y'.repeat(i)}`);
    expect(m.size).toBe(3);
  });

  it('validates options', () => {
    expect(() => new DrainMiner({ depth: 2 })).toThrow(/depth/);
    expect(() => new DrainMiner({ similarity: 2 })).toThrow(/similarity/);
  });
});

describe('TemplateDictionary', () => {
  const dict = new TemplateDictionary([
    { id: 't1', template: 'Received block blk_<*> of size <*> from <*>' },
    { id: 't2', template: 'Connection reset by peer on socket <*>' },
    { id: 't3', template: '<*> logged in' },
    { id: 't4', template: 'Exception in thread <*>' },
    { id: 't5', template: 'Exception in thread main' },
    { id: 't6', template: 'Job <*> failed: <*>' },
  ]);

  it('matches by token count, first token and wildcards', () => {
    expect(dict.match('Received block blk_77 of size 12 from 10.1.1.1')).toEqual({ id: 't1', template: 'Received block blk_<*> of size <*> from <*>' });
    expect(dict.match('Connection reset by peer on socket 9')?.id).toBe('t2');
    expect(dict.match('alice logged in')?.id).toBe('t3');
    expect(dict.match('Connection reset by peer')).toBeUndefined();
    expect(dict.match('Completely different line')).toBeUndefined();
    expect(dict.size).toBe(6);
  });

  it('prefers the most specific template', () => {
    expect(dict.match('Exception in thread main')?.id).toBe('t5');
    expect(dict.match('Exception in thread worker')?.id).toBe('t4');
  });

  it('lets a trailing wildcard absorb variable-length text', () => {
    expect(dict.match('Job 7 failed: disk quota exceeded on volume data')?.id).toBe('t6');
    expect(dict.match('Job 7 failed: boom')?.id).toBe('t6');
    expect(dict.match('Job 7 failed:')).toBeUndefined();
  });

  it('works with templates mined by DrainMiner', () => {
    const m = new DrainMiner();
    LOGS.forEach((l) => m.add(l));
    const d = new TemplateDictionary(m.templates());
    for (const l of LOGS) expect(d.match(l)?.id).toBe(m.add(l).templateId);
  });
});

describe('TemplateResolver', () => {
  const dict = new TemplateDictionary([{ id: 'known', template: 'Connection reset by peer on socket <*>' }]);

  it('returns dictionary hits as not new, others as candidates keyed by the masked line', () => {
    const r = new TemplateResolver(dict);
    expect(r.resolve('Connection reset by peer on socket 4')).toEqual({ templateId: 'known', template: 'Connection reset by peer on socket <*>', isNew: false });
    const c = r.resolve('Disk /dev/sda1 is 91% full');
    expect(c).toMatchObject({ isNew: true, template: 'Disk <*> is <*> full', templateId: templateIdOf('Disk <*> is <*> full') });
    expect(r.candidates()).toHaveLength(1);
  });

  it('two instances fed disjoint halves agree on ids', () => {
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      lines.push(`Disk /dev/sd${i} is ${i}% full`);
      lines.push(`User user${i} logged in from 10.0.${i}.1`);
      lines.push(`Retrying request ${i} after ${i * 10}ms`);
      lines.push(`Connection reset by peer on socket ${i}`);
    }
    const a = new TemplateResolver(dict);
    const b = new TemplateResolver(dict);
    const idsA = new Map<string, string>();
    const idsB = new Map<string, string>();
    lines.forEach((l, i) => {
      const half = Math.floor(i / 4) % 2 === 0; // alternate whole rounds between the two instances
      const shape = maskTokens(l).join(' ');
      (half ? idsA : idsB).set(shape, (half ? a : b).resolve(l).templateId);
    });
    let shared = 0;
    for (const [shape, id] of idsA) {
      if (idsB.has(shape)) {
        shared++;
        expect(idsB.get(shape)).toBe(id);
      }
    }
    expect(shared).toBe(4);
    // and they agree line by line on a common tail
    for (const l of ['User zed logged in from 10.9.9.9', 'Retrying request 1 after 5ms']) expect(a.resolve(l).templateId).toBe(b.resolve(l).templateId);
  });
});
