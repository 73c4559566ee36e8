/** One address or range to block until `expiresAt` (epoch ms). */
export interface BanEntry {
  /** Canonical IP or CIDR; IPv4 and IPv6 both allowed. */
  value: string;
  expiresAt: number;
}

/** An entry as read back from the firewall. */
export interface ListedEntry {
  /** Canonical IP or CIDR (`formatIpOrCidr` of @dio/protocol ip-parse.ts). */
  value: string;
  /** When the kernel will drop it (epoch ms, second precision); null when it never expires. */
  expiresAt: number | null;
}

export interface ApplyResult {
  /** Entries added or refreshed. */
  added: number;
  /** Entries that were present and are now gone (removing an absent entry is not an error). */
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
  /**
   * Adds and removes entries in one batch (removals first, so a value in both ends up added).
   * Values already present are refreshed (new timeout); removing an absent value is a no-op, so
   * apply is idempotent. Values are validated and canonicalised first: an invalid value or a /0
   * fails the whole batch with `firewall.invalid_entry` before anything runs. Entries whose
   * `expiresAt` has passed are skipped. Timeouts are capped at ~24.8 days (ipset's limit); the
   * responder's periodic verify/sync re-adds longer bans.
   */
  apply(add: readonly BanEntry[], remove: readonly string[]): Promise<ApplyResult>;
  /**
   * Reads the current entries back from the kernel (or the dry-run state), canonical and sorted.
   * nftables interval sets cannot hold nested ranges: when 10.0.0.0/8 and 10.1.2.3 are both
   * banned only the /8 is in the kernel (and listed); `verifyFirewall` counts covered entries as
   * present, and the adapter re-adds the inner entry if the outer one is removed through it.
   */
  list(): Promise<string[]>;
  /** Like list(), with each entry's expiry as the kernel reports it. */
  entries(): Promise<ListedEntry[]>;
  /** Makes the firewall hold exactly `active` (used at start-up and after drift). */
  sync(active: readonly BanEntry[]): Promise<ApplyResult>;
  /** Removes everything DIO created. */
  teardown(): Promise<void>;
}
