/** Addresses that can never be banned whatever the configuration says (loopback, unspecified). */
export const BUILTIN_ALLOWLIST: readonly string[] = ['127.0.0.0/8', '::1/128', '0.0.0.0/32', '::/128'];
