/**
 * Sliding-window attempt counter per key (client address): at most `limit` attempts in
 * `windowMs`. Memory is bounded: beyond `maxKeys` the oldest keys are forgotten (an attacker
 * spraying addresses only makes the table churn; per-user lockout still holds).
 */
export class LoginLimiter {
  readonly #hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Records an attempt; returns 0 when allowed, else the seconds until the next one would be. */
  hit(key: string, now: number): number {
    const from = now - this.windowMs;
    const list = (this.#hits.get(key) ?? []).filter((t) => t > from);
    if (list.length >= this.limit) {
      this.#hits.set(key, list);
      return Math.max(1, Math.ceil((list[0]! + this.windowMs - now) / 1000));
    }
    list.push(now);
    this.#hits.delete(key);
    this.#hits.set(key, list);
    if (this.#hits.size > this.maxKeys) this.#hits.delete(this.#hits.keys().next().value!);
    return 0;
  }

  get size(): number {
    return this.#hits.size;
  }
}
