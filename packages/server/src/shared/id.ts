import { randomBytes } from 'node:crypto';

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Sortable unique id (ULID layout: 48-bit ms timestamp + 80 random bits, Crockford base32), so
 * ids sort by creation time in listings and cursors. Randomness is drawn in blocks for speed.
 */
export function createIdGenerator(now: () => number = Date.now): () => string {
  let pool = randomBytes(0);
  let pos = 0;
  return () => {
    if (pos + 10 > pool.length) {
      pool = randomBytes(4096);
      pos = 0;
    }
    let t = now();
    let time = '';
    for (let i = 0; i < 10; i++) {
      time = B32[t % 32]! + time;
      t = Math.floor(t / 32);
    }
    let rnd = '';
    // 80 bits = 16 base32 chars; take 5 bits at a time from 10 bytes.
    let acc = 0;
    let bits = 0;
    for (let i = 0; i < 10; i++) {
      acc = (acc << 8) | pool[pos++]!;
      bits += 8;
      while (bits >= 5) {
        rnd += B32[(acc >> (bits - 5)) & 31]!;
        bits -= 5;
      }
      acc &= (1 << bits) - 1;
    }
    return time + rnd;
  };
}
