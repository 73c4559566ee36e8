/**
 * Child process for the read-only database test: opens the store on argv[2], tries to read and to
 * write, and prints what happened as one JSON line. Run as an unprivileged user when the test runs
 * as root (root ignores file modes). Exits 0 whatever the store does — a crash is the failure.
 */
import { isAppError } from '../../../shared/app-error.js';
import { createSqliteStore } from '../sqlite-store.js';
import { makeEvent } from '../../testdata/fixtures.js';

const outcome = async (fn: () => Promise<unknown>): Promise<unknown> => {
  try {
    return { ok: (await fn()) ?? true };
  } catch (e) {
    return isAppError(e) ? { code: e.code, status: e.status, message: e.message } : { crash: String(e) };
  }
};

const path = process.argv[2] ?? '';
const result: Record<string, unknown> = {};
try {
  const store = createSqliteStore({ path });
  result.migrate = await outcome(() => store.migrate());
  result.read = await outcome(async () => (await store.listAlerts({ limit: 10 })).items.length);
  result.insert = await outcome(() => store.insertEvents([makeEvent()], { batchId: 'readonly-child-1' }));
  result.audit = await outcome(() => store.appendAudit({ actor: 'cli', action: 'test', target: 'x', origin: 'cli' }));
  await store.close();
} catch (e) {
  result.open = isAppError(e) ? { code: e.code, message: e.message } : { crash: String(e) };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
