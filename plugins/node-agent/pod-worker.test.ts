// PodWorker.update ignores the watch's echo of the worker's own status writes (same
// resourceVersion) and stale events (older revision): each used to cost a full pod sync.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createLogger } from '../../kernel/log.js';
import { createHollowRuntime } from '../runtime-hollow/index.js';
import { PodWorker, isNewer } from './pod-worker.js';
import type { Pod } from './pod-types.js';

const pod = (resourceVersion?: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...(resourceVersion ? { resourceVersion } : {}) }, spec: { containers: [] } }) as Pod;

t.test('only a newer revision counts as an update', async (t) => {
  t.equal(isNewer(pod('12'), pod('11')), true, 'a newer revision');
  t.equal(isNewer(pod('11'), pod('11')), false, 'the echo of our own write');
  t.equal(isNewer(pod('10'), pod('11')), false, 'a stale event arriving late');
  t.equal(isNewer(pod('100'), pod('99')), true, 'compared as numbers, not as text');
  t.equal(isNewer(pod('9007199254740993'), pod('9007199254740992')), true, 'beyond double precision');
  t.equal(isNewer(pod(), pod('11')), true, 'no revision: taken');
  t.equal(isNewer(pod('abc'), pod('11')), true, 'a revision of another form: taken when different');
  t.equal(isNewer(pod('abc'), pod('abc')), false);
});

// A user's deletion that lands just before the worker's last status write (the pod's container
// has exited; nothing else will wake the worker): the write succeeds on top of it, and the
// watch's event for the deletion is older than what the worker then holds and is skipped. The
// worker must still see the deletion and terminate the pod.
t.test('a deletion the status write was applied over is acted on', async (t) => {
  const runtime = createHollowRuntime({ startDelayMs: 1 });
  await runtime.start();
  const nodeDir = mkdtempSync(join(tmpdir(), 'kite-worker-'));
  t.teardown(async () => {
    await runtime.stop();
    rmSync(nodeDir, { recursive: true, force: true });
  });
  let current: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'uid-1', resourceVersion: '5' }, spec: { nodeName: 'n', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 0'] }] } } as Pod;
  let revision = 5;
  let deletion: Pod | undefined;
  let doneWrite = false;
  const store = {
    async guaranteedUpdate(_r: unknown, _ns: string, _name: string, update: (cur: Pod) => Pod | undefined) {
      if (!deletion && update(structuredClone(current))?.status?.phase === 'Succeeded') {
        // The user's DELETE (the pod has the agent's finalizer: only deletionTimestamp is set).
        current = { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 0, resourceVersion: String(++revision) } };
        deletion = structuredClone(current);
      }
      const next = update(structuredClone(current));
      if (next) current = { ...next, metadata: { ...next.metadata, resourceVersion: String(++revision) } };
      if (deletion) doneWrite = true;
      return structuredClone(current);
    },
  };
  let gone = false;
  const worker = new PodWorker(structuredClone(current), {
    runtime,
    store: store as never,
    events: { record: () => undefined } as never,
    logger: createLogger({}, 'error'),
    hostIP: '127.0.0.1',
    nodeDir,
    backoff: { initialMs: 1000, maxMs: 4000, resetAfterMs: 600_000 },
    gone: () => { gone = true; },
  }, { containers: [] });
  runtime.onExit((id) => worker.containerExited(id));
  worker.kick();
  for (let i = 0; i < 300 && !doneWrite; i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(deletion, 'the deletion landed before the Succeeded write');
  // The watch delivers the deletion after the write on top of it returned: older, skipped.
  worker.update(deletion!);
  for (let i = 0; i < 300 && !gone; i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(gone, 'the worker terminated the pod and finished');
  t.notOk((current.metadata.finalizers ?? []).includes('kite.dev/node-agent'), 'its finalizer was removed again');
  await worker.detach();
});
