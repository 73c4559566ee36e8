import { renameSync, writeFileSync } from 'node:fs';
import { createTestApi } from '../../../api/testing/fakes.js';
import { createSqliteStore, type SqliteStore } from '../../../storage/sqlite/sqlite-store.js';

export interface IngestServer {
  port: number;
  store: SqliteStore;
  /** `abrupt`: connections are cut mid-request (what an agent sees when the server dies). */
  stop(abrupt: boolean): Promise<void>;
}

/**
 * The real HTTP API (createTestApi: auth, gzip decoding, validation, idempotency) on
 * 127.0.0.1:<port>, with ingest writing to a SQLite *file*, so what was acknowledged survives a
 * restart. The test API makes a new admin key on every start; it is written to `keyFile`
 * (atomically) for the agent, which re-reads it per request.
 */
export async function startIngestServer(o: { dbPath: string; port: number; keyFile: string }): Promise<IngestServer> {
  const store = createSqliteStore({ path: o.dbPath });
  await store.migrate();
  const api = await createTestApi();
  // Users and keys stay in the test API's in-memory store; only events go to the file.
  api.ingest.ingest = async (events, opts) => {
    const r = await store.insertEvents(events, opts.batchId === undefined ? {} : { batchId: opts.batchId });
    return { accepted: r.duplicate ? 0 : r.inserted, duplicate: r.duplicate };
  };
  await api.app.listen({ host: '127.0.0.1', port: o.port });
  writeFileSync(`${o.keyFile}.tmp`, api.adminKey);
  renameSync(`${o.keyFile}.tmp`, o.keyFile);
  const port = (api.app.server.address() as { port: number }).port;
  return {
    port,
    store,
    async stop(abrupt) {
      if (abrupt) api.app.server.closeAllConnections();
      await api.app.close();
      await store.close();
    },
  };
}
