// Admission through the real NATS-backed object store: the same rules for every writer.
import t from 'tap';
import { ResourceRegistry } from '../registry.js';
import { isStatusError, type StatusError } from '../status.js';
import type { KubeObject } from '../types.js';
import { openObjectStore } from '../../store/mod.js';
import { startTestNats } from '../../testing/nats.js';
import { createAdmission } from './mod.js';

const registry = new ResourceRegistry();

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (isStatusError(e, 'Invalid')) return e;
    throw e;
  }
  throw new Error('expected an Invalid error');
}
const rt = (group: string, resource: string) => registry.byResource(group, resource)!;

t.test('the store defaults and validates through createAdmission', async (t) => {
  const nats = await startTestNats(t);
  const store = await openObjectStore(await nats.connect(), { admission: createAdmission(registry) });
  t.teardown(() => store.close());

  const ns = await store.create(rt('', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team1' } });
  t.same([(ns as any).spec, (ns as any).status], [{ finalizers: ['kubernetes'] }, { phase: 'Active' }]);

  const pods = rt('', 'pods');
  const pod = (await store.create(pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'team1' },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.17.2' }] },
  })) as KubeObject & { spec: any };
  t.equal(pod.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  t.equal(pod.spec.restartPolicy, 'Always');
  t.ok(pod.metadata.uid, 'the store still sets uid');

  const stored = (await store.get(pods, 'team1', 'web')) as KubeObject & { spec: any };
  t.same(stored.spec, pod.spec, 'defaults are persisted');

  const invalid = await failure(store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name', namespace: 'team1' }, spec: { containers: [{ name: 'c' }] } }));
  t.equal(invalid.code, 422, 'invalid pods are refused with 422');
  t.same(invalid.details?.causes?.map((c) => c.field), ['metadata.name', 'spec.containers[0].image'], 'with field causes');

  const renamed = structuredClone(stored);
  renamed.spec.containers[0].name = 'other';
  t.equal((await failure(store.update(pods, renamed))).details?.causes?.[0]?.field, 'spec', 'pod spec is immutable');
  const newImage = structuredClone(stored);
  newImage.spec.containers[0].image = 'nginx:1.18';
  const updated = (await store.update(pods, newImage)) as KubeObject & { spec: any };
  t.equal(updated.spec.containers[0].image, 'nginx:1.18', 'image updates are allowed');

  const job = (await store.create(rt('batch', 'jobs'), {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'team1' },
    spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } },
  })) as KubeObject & { spec: any };
  t.same(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid } }, 'the job selector comes from the uid the store assigned');
});
