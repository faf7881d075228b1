/**
 * Stable, platform-independent 64-bit FNV-1a hash as 16 lowercase hex characters.
 * Used for template ids, anomaly ids and batch guards: the same input gives the same id in every
 * process, on every shard, in both worlds.
 * @param input - any string (hashed as UTF-16 code units folded to bytes via UTF-8)
 */
export function stableHash(input: string): string {
  const bytes = new TextEncoder().encode(input);
  // 64-bit FNV-1a split in two 32-bit halves to stay in fast integer math.
  let h1 = 0xcbf29ce4 >>> 0; // high
  let h0 = 0x84222325 >>> 0; // low
  for (let i = 0; i < bytes.length; i++) {
    h0 = (h0 ^ bytes[i]) >>> 0;
    // multiply by FNV prime 0x100000001b3 = 2^40 + 0x1b3
    const lo = h0 * 0x1b3;
    const hi = h1 * 0x1b3 + ((h0 << 8) >>> 0) * 1 + Math.floor(lo / 0x100000000);
    h0 = lo >>> 0;
    h1 = hi >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h0.toString(16).padStart(8, '0');
}
