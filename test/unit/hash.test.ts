import { describe, expect, it } from 'vitest';
import { stableHash } from '../../functions/core/hash';

/** Reference 64-bit FNV-1a over the UTF-8 bytes, in BigInt (independent of the implementation under test). */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;
function fnv1a64Reference(input: string): string {
  let h = FNV_OFFSET;
  for (const b of Buffer.from(input, 'utf8')) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h.toString(16).padStart(16, '0');
}

/** Small seeded PRNG local to the test (xorshift32), so the corpus is the same on every run. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const ALPHABETS: string[][] = [
  // ASCII printable
  Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)),
  // Latin-1 / 2-byte UTF-8
  ['é', 'ü', 'ß', 'ñ', 'Ø', 'ç', '¥', '©', 'Ω', 'ж'],
  // 3-byte UTF-8 (CJK, symbols)
  ['日', '本', '語', '中', '文', '한', '€', '☃', '✓', '\u2028'],
  // 4-byte UTF-8 (astral: emoji, math)
  ['😀', '🚀', '𝔘', '🏳️‍🌈', '👩‍💻', '\u{10FFFF}'],
  // control characters and NUL
  ['\u0000', '\n', '\t', '\r', '\u007f'],
];

function randomString(rng: () => number): string {
  const len = Math.floor(rng() * 64);
  let s = '';
  for (let i = 0; i < len; i++) {
    const alphabet = ALPHABETS[Math.floor(rng() * ALPHABETS.length)];
    s += alphabet[Math.floor(rng() * alphabet.length)];
  }
  return s;
}

describe('stableHash (64-bit FNV-1a)', () => {
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['b', 'af63df4c8601f1a5'],
    ['foobar', '85944171f73967e8'],
    ['hello world', '779a65e7023cd2e7'],
  ])('matches the published FNV-1a-64 vector for %j', (input, expected) => {
    expect(stableHash(input)).toBe(expected);
    expect(fnv1a64Reference(input)).toBe(expected);
  });

  it('always returns 16 lowercase hex characters', () => {
    const rng = xorshift(7);
    for (let i = 0; i < 200; i++) expect(stableHash(randomString(rng))).toMatch(/^[0-9a-f]{16}$/);
  });

  it('pads leading zeros in both 32-bit halves to keep 16 characters', () => {
    // Search a deterministic corpus for hashes whose high or low word starts with a zero nibble.
    let highZero = 0;
    let lowZero = 0;
    for (let i = 0; i < 5000 && (highZero < 3 || lowZero < 3); i++) {
      const s = `pad-${i}`;
      const h = stableHash(s);
      expect(h).toHaveLength(16);
      expect(h).toBe(fnv1a64Reference(s));
      if (h[0] === '0') highZero++;
      if (h[8] === '0') lowZero++;
    }
    expect(highZero).toBeGreaterThanOrEqual(3);
    expect(lowZero).toBeGreaterThanOrEqual(3);
  });

  it('agrees with a BigInt reference on several hundred random ASCII and unicode strings', () => {
    const rng = xorshift(0xc0ffee);
    const corpus: string[] = [];
    for (let i = 0; i < 400; i++) corpus.push(randomString(rng));
    // Long inputs (the carry path of the split multiply is exercised many times per string).
    for (let i = 0; i < 20; i++) corpus.push(randomString(rng).repeat(50));
    for (const s of corpus) expect(stableHash(s), JSON.stringify(s)).toBe(fnv1a64Reference(s));
  });

  it('agrees with the reference on every single byte value (1-byte inputs and 0xff-heavy inputs)', () => {
    for (let c = 0; c < 128; c++) {
      const s = String.fromCharCode(c);
      expect(stableHash(s)).toBe(fnv1a64Reference(s));
    }
    // U+00FF encodes to c3 bf; U+FFFF to ef bf bf: high bytes XORed into the low word.
    for (const s of ['\u00ff'.repeat(33), '\uffff'.repeat(17), '\u07ff\uffff\u{10FFFF}'.repeat(9)]) {
      expect(stableHash(s)).toBe(fnv1a64Reference(s));
    }
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is one UTF-16 unit (0xe9) but two UTF-8 bytes (c3 a9).
    let h = FNV_OFFSET;
    for (const b of [0xc3, 0xa9]) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
    expect(stableHash('é')).toBe(h.toString(16).padStart(16, '0'));
    let utf16 = FNV_OFFSET;
    utf16 = ((utf16 ^ 0xe9n) * FNV_PRIME) & MASK64;
    expect(stableHash('é')).not.toBe(utf16.toString(16).padStart(16, '0'));
    // Astral characters: one code point, two UTF-16 units, four UTF-8 bytes.
    expect(stableHash('😀')).toBe(fnv1a64Reference('😀'));
  });

  it('is deterministic and sensitive to every character and to order', () => {
    expect(stableHash('template <*> id')).toBe(stableHash('template <*> id'));
    expect(stableHash('ab')).not.toBe(stableHash('ba'));
    expect(stableHash('abc')).not.toBe(stableHash('abd'));
    expect(stableHash('a')).not.toBe(stableHash('a '));
    expect(stableHash('a')).not.toBe(stableHash('A'));
  });

  it('has no collisions on a few thousand distinct short keys', () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const s = `checkout#eu-west-1|${i}`;
      const h = stableHash(s);
      expect(seen.get(h), `collision between ${seen.get(h)} and ${s}`).toBeUndefined();
      seen.set(h, s);
    }
  });

  it('treats lone surrogates like the UTF-8 encoder does (replacement character U+FFFD)', () => {
    // TextEncoder and Buffer both encode a lone surrogate as EF BF BD.
    expect(stableHash('\ud800')).toBe(fnv1a64Reference('\ufffd'));
    expect(stableHash('x\udc00y')).toBe(fnv1a64Reference('x\ufffdy'));
  });
});
