/** One address or range to block until `expiresAt` (epoch ms). */
export interface BanEntry {
  /** Canonical IP or CIDR; IPv4 and IPv6 both allowed. */
  value: string;
  expiresAt: number;
}

export interface ApplyResult {
  added: number;
  removed: number;
  /** The exact commands (or nft/ipset scripts) that were run or, for dry-run, would be run. */
  commands: string[];
}

export interface VerifyResult {
  ok: boolean;
  /** Entries that should be present but are not. */
  missing: string[];
  /** Entries present that should not be (e.g. added by hand). */
  unexpected: string[];
}

/**
 * Firewall: where decisions become packet drops. Adapters: dry-run (default; logs exact commands),
 * nftables (one table, IPv4/IPv6 sets with per-element timeouts, batched `nft -f`), iptables+ipset.
 * All pass `firewall.case.test.ts`. Every method throws AppError `firewall.*` on failure, with the
 * command's stderr in the message.
 */
export interface Firewall {
  readonly name: string;
  /** Creates the table/sets/rules DIO owns (idempotent). Never touches rules DIO does not own. */
  init(): Promise<void>;
  /** Adds and removes entries in one batch. Values already present are refreshed (new timeout). */
  apply(add: readonly BanEntry[], remove: readonly string[]): Promise<ApplyResult>;
  /** Reads the current entries back from the kernel (or the dry-run state). */
  list(): Promise<string[]>;
  /** Makes the firewall hold exactly `active` (used at start-up and after drift). */
  sync(active: readonly BanEntry[]): Promise<ApplyResult>;
  /** Removes everything DIO created. */
  teardown(): Promise<void>;
}
