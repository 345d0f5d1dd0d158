// Shared test helpers: a real nats-server with JetStream in a temporary directory, cleaned up
// when the test ends (also when it fails).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { startEmbeddedNats, type EmbeddedNats } from '../nats/embedded.js';

export interface TestNats extends EmbeddedNats {
  dataDir: string;
  /** A connection closed automatically at teardown. */
  connect(): Promise<NatsConnection>;
  /** Start a new server on the same port and store (after kill/stop). */
  restart(): Promise<TestNats>;
}

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export async function startTestNats(t: Teardownable, dataDir?: string, port?: number): Promise<TestNats> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'kite-nats-'));
  const server = await startEmbeddedNats({ dataDir: dir, port });
  const conns: NatsConnection[] = [];
  t.teardown(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await server.stop();
    if (!dataDir) rmSync(dir, { recursive: true, force: true });
  });
  const actualPort = Number(server.url.split(':').pop());
  return {
    ...server,
    dataDir: dir,
    connect: async () => {
      const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      conns.push(nc);
      return nc;
    },
    restart: () => startTestNats(t, dir, actualPort),
  };
}
