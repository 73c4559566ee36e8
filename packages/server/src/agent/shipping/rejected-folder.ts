import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { unlinkIfExists, writeFileAtomic } from './durable-fs.js';

export interface RejectedInfo {
  seq: number;
  batch_id: string;
  events: number;
  source: string;
  /** HTTP status the server answered with. */
  status: number;
  /** Error code/message from the server's answer. */
  reason: string;
  rejected_at: string;
}

/**
 * Where batches the server will never accept (400/413/415) are set aside, so one poison batch
 * cannot block the stream and an operator can still look at it (`zcat rejected/*.json.gz`).
 * Bounded by file count and bytes; the oldest go first.
 */
export class RejectedFolder {
  private ready: Promise<unknown> | undefined;

  constructor(
    private readonly dir: string,
    private readonly maxBatches = 100,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  async put(info: RejectedInfo, body: Uint8Array): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.ready;
    const base = `${String(info.seq).padStart(12, '0')}-${info.batch_id}`;
    await writeFileAtomic(join(this.dir, `${base}.json.gz`), body);
    await writeFileAtomic(join(this.dir, `${base}.meta.json`), `${JSON.stringify(info)}\n`);
    await this.trim();
  }

  /** Names (without extension) of the batches set aside, oldest first. */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.json.gz'))
      .map((n) => n.slice(0, -'.json.gz'.length))
      .sort();
  }

  private async trim(): Promise<void> {
    const bases = await this.list();
    const sizes = await Promise.all(bases.map(async (b) => (await stat(join(this.dir, `${b}.json.gz`)).catch(() => ({ size: 0 }))).size));
    let total = sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < bases.length - 1 && (bases.length - i > this.maxBatches || total > this.maxBytes); i++) {
      await unlinkIfExists(join(this.dir, `${bases[i]}.json.gz`));
      await unlinkIfExists(join(this.dir, `${bases[i]}.meta.json`));
      total -= sizes[i]!;
    }
  }
}
