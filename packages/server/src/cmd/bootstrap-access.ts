import { ensureAdmin, ensureLocalCliKey, readPasswordFile } from '../auth/bootstrap.js';
import type { DioConfig } from '../config/schema.js';
import { systemClock } from '../shared/clock.js';
import type { Store } from '../storage/port.js';

/**
 * First start: the admin account (password from DIO_ADMIN_PASSWORD, auth.admin_password_file,
 * or generated and shown once on stderr), and on every start the local CLI key in the data dir.
 */
export async function bootstrapAccess(o: { config: Readonly<DioConfig>; store: Store; newId: () => string; env?: NodeJS.ProcessEnv; out?: NodeJS.WritableStream }): Promise<{ cliKeyPath: string; generatedPassword?: string }> {
  const env = o.env ?? process.env;
  const password = env.DIO_ADMIN_PASSWORD ?? (o.config.auth.admin_password_file ? readPasswordFile(o.config.auth.admin_password_file) : undefined);
  const admin = await ensureAdmin({ store: o.store, clock: systemClock, newId: o.newId, username: o.config.auth.admin_user, ...(password !== undefined ? { password } : {}) });
  if (admin.generatedPassword) {
    const line = '─'.repeat(66);
    (o.out ?? process.stderr).write(
      `${line}\n  First start: created the admin user "${o.config.auth.admin_user}" with the password\n\n      ${admin.generatedPassword}\n\n  It is shown only this once (stored as an argon2id hash). Log in with\n  \`dio login\`, then change it: \`dio users passwd ${o.config.auth.admin_user}\`.\n${line}\n`,
    );
  }
  const cliKeyPath = await ensureLocalCliKey({ store: o.store, clock: systemClock, dataDir: o.config.data_dir });
  return { cliKeyPath, ...(admin.generatedPassword ? { generatedPassword: admin.generatedPassword } : {}) };
}
