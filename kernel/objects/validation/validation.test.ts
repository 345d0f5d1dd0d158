import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { unknownFields } from '../schema/mod.js';
import type { KubeObject } from '../types.js';
import { canonicalQuantity, parseQuantity } from './mod.js';
import { admission, admit, causesOf, deployment, nginx, pod, template, typeOf } from './test-helpers.js';

// Fixtures are read from the source tree (tests run compiled from another directory).
function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'kernel/objects/validation/fixtures');
}

t.test('every seed manifest passes admission, has no unknown fields and defaults idempotently', async (t) => {
  const dir = fixturesDir();
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 10, 'fixtures found');
  for (const file of files) {
    const docs = yaml.loadAll(readFileSync(join(dir, file), 'utf8')).filter(Boolean) as KubeObject[];
    docs.forEach((doc, i) => {
      const name = `${file}#${i} ${doc.kind}/${doc.metadata.name}`;
      t.same(unknownFields(typeOf(doc), doc), [], `${name}: no unknown fields`);
      const stored = admit(doc);
      const again = admit(stored, 'UPDATE', stored);
      t.same(again, stored, `${name}: admitted, and admitting the result again changes nothing`);
    });
  }
});

t.test('pod defaults', async (t) => {
  const out = admit(pod({ containers: [nginx, { name: 'pinned', image: 'nginx:1.17.2', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: '1' } } }] }));
  t.same(out.spec, {
    containers: [
      { name: 'nginx', image: 'nginx', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} },
      {
        name: 'pinned',
        image: 'nginx:1.17.2',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        resources: { limits: { cpu: '1' }, requests: { cpu: '1' } },
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    terminationGracePeriodSeconds: 30,
    securityContext: {},
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
    serviceAccountName: 'default',
    serviceAccount: 'default',
    priority: 0,
    preemptionPolicy: 'PreemptLowerPriority',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
  });
  t.equal(out.apiVersion, 'v1');
  const canon = admit(pod({ containers: [{ ...nginx, resources: { limits: { cpu: '0.5', memory: '0.5Gi' }, requests: { cpu: '250m' } } }] })) as any;
  t.same(canon.spec.containers[0].resources, { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '250m', memory: '512Mi' } }, 'quantities are stored in canonical form');
  t.equal(out.kind, 'Pod');
  t.same(out.status, { phase: 'Pending', qosClass: 'Burstable' }, 'a new pod is Pending; the rest of status is left to the node and controllers');
  const pulls = (image: string) => (admit(pod({ containers: [{ name: 'c', image }] })).spec as any).containers[0].imagePullPolicy;
  t.same(
    ['nginx', 'nginx:latest', 'nginx:1.2', 'localhost:5000/nginx', 'localhost:5000/nginx:v1', 'nginx@sha256:abcd'].map(pulls),
    ['Always', 'Always', 'IfNotPresent', 'Always', 'IfNotPresent', 'IfNotPresent'],
  );
  const vol = admit(pod({ containers: [nginx], volumes: [{ name: 'a' }, { name: 'b', configMap: { name: 'cm' } }, { name: 'c', hostPath: { path: '/x' } }] }));
  t.same((vol.spec as any).volumes, [{ name: 'a', emptyDir: {} }, { name: 'b', configMap: { name: 'cm', defaultMode: 420 } }, { name: 'c', hostPath: { path: '/x', type: '' } }]);
});

t.test('workload and other defaults', async (t) => {
  const d = admit(deployment({ selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) })) as any;
  t.equal(d.spec.replicas, 1);
  t.same(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  t.equal(d.spec.revisionHistoryLimit, 10);
  t.equal(d.spec.progressDeadlineSeconds, 600);
  t.equal(d.spec.template.spec.restartPolicy, 'Always');
  t.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  t.notOk('enableServiceLinks' in d.spec.template.spec, 'pod-only defaults stay off templates');
  const recreate = admit(deployment({ strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) })) as any;
  t.same(recreate.spec.strategy, { type: 'Recreate' });

  const rs = admit({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }) } }) as any;
  t.equal(rs.spec.replicas, 1);

  const jobSpec = { template: { spec: { containers: [nginx], restartPolicy: 'Never' } } };
  const job = admit({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', uid: 'u-1' }, spec: jobSpec }) as any;
  t.same([job.spec.completions, job.spec.parallelism, job.spec.backoffLimit, job.spec.completionMode, job.spec.suspend], [1, 1, 6, 'NonIndexed', false]);
  t.same(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  t.same(job.spec.template.metadata.labels, { 'batch.kubernetes.io/job-name': 'j', 'job-name': 'j', 'batch.kubernetes.io/controller-uid': 'u-1', 'controller-uid': 'u-1' });

  const cron = admit({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick' }, spec: { schedule: '*/1 * * * *', jobTemplate: { spec: jobSpec } } }) as any;
  t.same([cron.spec.concurrencyPolicy, cron.spec.suspend, cron.spec.successfulJobsHistoryLimit, cron.spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  t.same(Object.keys(cron.spec.jobTemplate.spec), ['template'], 'job defaults wait for the job');
  t.equal(cron.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');

  const ns = admit({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team1', namespace: 'ignored' } }) as any;
  t.same([ns.spec, ns.status, ns.metadata.namespace], [{ finalizers: ['kubernetes'] }, { phase: 'Active' }, undefined]);

  const secret = admit({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { user: 'admin' } }) as any;
  t.same([secret.type, secret.data, secret.stringData], ['Opaque', { user: 'YWRtaW4=' }, undefined]);

  const svc = admit({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }) as any;
  t.same(svc.spec, { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster' });

  const pvc = admit({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }) as any;
  t.equal(pvc.spec.volumeMode, 'Filesystem');
});

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

t.test('invalid objects give upstream fields and messages', async (t) => {
  const cases: Array<{ name: string; obj: object; want: Array<[string, string, string]> }> = [
    { name: 'pod name', obj: pod({ containers: [nginx] }, { name: 'My_Pod' }), want: [['FieldValueInvalid', 'metadata.name', `Invalid value: "My_Pod": ${SUBDOMAIN_MSG}`]] },
    { name: 'no name', obj: pod({ containers: [nginx] }, {}), want: [['FieldValueRequired', 'metadata.name', 'Required value: name or generateName is required']] },
    { name: 'no containers', obj: pod({}), want: [['FieldValueRequired', 'spec.containers', 'Required value']] },
    { name: 'no image', obj: pod({ containers: [{ name: 'a' }] }), want: [['FieldValueRequired', 'spec.containers[0].image', 'Required value']] },
    {
      name: 'port out of range',
      obj: pod({ containers: [{ ...nginx, ports: [{ containerPort: 70000 }] }] }),
      want: [['FieldValueInvalid', 'spec.containers[0].ports[0].containerPort', 'Invalid value: 70000: must be between 1 and 65535, inclusive']],
    },
    {
      name: 'restart policy',
      obj: pod({ containers: [nginx], restartPolicy: 'Sometimes' }),
      want: [['FieldValueNotSupported', 'spec.restartPolicy', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
    },
    { name: 'duplicate container', obj: pod({ containers: [nginx, nginx] }), want: [['FieldValueDuplicate', 'spec.containers[1].name', 'Duplicate value: "nginx"']] },
    {
      name: 'container name not a DNS label',
      obj: pod({ containers: [{ name: 'Web', image: 'x' }] }),
      want: [
        [
          'FieldValueInvalid',
          'spec.containers[0].name',
          "Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ],
      ],
    },
    { name: 'mount of a missing volume', obj: pod({ containers: [{ ...nginx, volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }), want: [['FieldValueNotFound', 'spec.containers[0].volumeMounts[0].name', 'Not found: "data"']] },
    {
      name: 'requests above limits',
      obj: pod({ containers: [{ ...nginx, resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }),
      want: [['FieldValueInvalid', 'spec.containers[0].resources.requests', 'Invalid value: "2": must be less than or equal to cpu limit of 1']],
    },
    {
      name: 'bad quantity',
      obj: pod({ containers: [{ ...nginx, resources: { limits: { memory: '12x' } } }] }),
      want: [
        ['FieldValueInvalid', 'spec.containers[0].resources.limits[memory]', `Invalid value: "12x": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`],
        ['FieldValueInvalid', 'spec.containers[0].resources.requests[memory]', `Invalid value: "12x": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`],
      ],
    },
    { name: 'restart policy on an app container', obj: pod({ containers: [{ ...nginx, restartPolicy: 'Always' }] }), want: [['FieldValueForbidden', 'spec.containers[0].restartPolicy', 'Forbidden: may not be set for non-init containers']] },
    {
      name: 'owner reference without uid',
      obj: pod({ containers: [nginx] }, { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs' }] }),
      want: [['FieldValueInvalid', 'metadata.ownerReferences.uid', 'Invalid value: "": uid must not be empty']],
    },
    { name: 'probe without handler', obj: pod({ containers: [{ ...nginx, livenessProbe: { periodSeconds: 5 } }] }), want: [['FieldValueRequired', 'spec.containers[0].livenessProbe', 'Required value: must specify a handler type']] },
    { name: 'grpc probe port', obj: pod({ containers: [{ ...nginx, livenessProbe: { grpc: { port: 0 } } }] }), want: [['FieldValueInvalid', 'spec.containers[0].livenessProbe.grpc.port', 'Invalid value: 0: must be between 1 and 65535, inclusive']] },
    {
      name: 'label value',
      obj: pod({ containers: [nginx] }, { name: 'p', labels: { app: 'bad value' } }),
      want: [
        [
          'FieldValueInvalid',
          'metadata.labels',
          "Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ],
      ],
    },
    {
      name: 'label key',
      obj: pod({ containers: [nginx] }, { name: 'p', labels: { '-x': 'y' } }),
      want: [
        [
          'FieldValueInvalid',
          'metadata.labels',
          "Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ],
      ],
    },
    {
      name: 'selector does not match template',
      obj: deployment({ selector: { matchLabels: { app: 'a' } }, template: template({ app: 'b', tier: 'x' }) }),
      want: [['FieldValueInvalid', 'spec.template.metadata.labels', 'Invalid value: map[string]string{"app":"b", "tier":"x"}: `selector` does not match template `labels`']],
    },
    { name: 'missing selector', obj: deployment({ template: template({ app: 'a' }) }), want: [['FieldValueRequired', 'spec.selector', 'Required value']] },
    {
      name: 'negative replicas',
      obj: deployment({ replicas: -1, selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) }),
      want: [['FieldValueInvalid', 'spec.replicas', 'Invalid value: -1: must be greater than or equal to 0']],
    },
    {
      name: 'deployment restart policy',
      obj: deployment({ selector: { matchLabels: { app: 'a' } }, template: { ...template({ app: 'a' }), spec: { containers: [nginx], restartPolicy: 'Never' } } }),
      want: [['FieldValueNotSupported', 'spec.template.spec.restartPolicy', 'Unsupported value: "Never": supported values: "Always"']],
    },
    {
      name: 'job restart policy',
      obj: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [nginx] } } } },
      want: [['FieldValueRequired', 'spec.template.spec.restartPolicy', 'Required value: valid values: "OnFailure", "Never"']],
    },
    {
      name: 'service name is a DNS-1035 label',
      obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } },
      want: [
        [
          'FieldValueInvalid',
          'metadata.name',
          "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ],
      ],
    },
    {
      name: 'service ports',
      obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'Fancy', ports: [{ port: 80 }, { port: 0, name: 'b' }] } },
      want: [
        ['FieldValueNotSupported', 'spec.type', 'Unsupported value: "Fancy": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
        ['FieldValueRequired', 'spec.ports[0].name', 'Required value'],
        ['FieldValueInvalid', 'spec.ports[1].port', 'Invalid value: 0: must be between 1 and 65535, inclusive'],
        ['FieldValueInvalid', 'spec.ports[1].targetPort', 'Invalid value: 0: must be between 1 and 65535, inclusive'],
      ],
    },
    { name: 'service without ports', obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} }, want: [['FieldValueRequired', 'spec.ports', 'Required value']] },
    {
      name: 'namespace name',
      obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } },
      want: [
        [
          'FieldValueInvalid',
          'metadata.name',
          "Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ],
      ],
    },
    { name: 'rbac names are path segments', obj: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'a/b' } }, want: [['FieldValueInvalid', 'metadata.name', 'Invalid value: "a/b": may not contain \'/\'']] },
    {
      name: 'claim without modes and size',
      obj: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: {} },
      want: [
        ['FieldValueRequired', 'spec.accessModes', 'Required value: at least 1 access mode is required'],
        ['FieldValueRequired', 'spec.resources[storage]', 'Required value'],
      ],
    },
    {
      name: 'configmap key',
      obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'a b': 'x' } },
      want: [
        [
          'FieldValueInvalid',
          'data[a b]',
          "Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ],
      ],
    },
  ];
  for (const c of cases) {
    const got = causesOf(() => admit(c.obj));
    t.same(got.causes.map((x) => [x.reason, x.field, x.message]), c.want, c.name);
  }
  const single = causesOf(() => admit(pod({ containers: [{ name: 'a' }] })));
  t.equal(single.message, 'Pod "p" is invalid: spec.containers[0].image: Required value', 'whole message');
});

t.test('admission never mutates the stored object and is deterministic', async (t) => {
  const input = pod({ containers: [{ name: 'c', image: 'nginx', resources: { limits: { cpu: '1' } } }] }, { name: 'p', namespace: 'default' });
  const old = admit(input);
  const oldSnapshot = structuredClone(old);
  // The request object is the caller's own copy (the store's): admission defaults it in place.
  const a = admission.admit(typeOf(input as KubeObject), structuredClone(input) as KubeObject, old, 'UPDATE');
  const b = admission.admit(typeOf(input as KubeObject), structuredClone(input) as KubeObject, old, 'UPDATE');
  t.same(old, oldSnapshot, 'old untouched');
  t.same(a, b, 'same result twice');
  const internal = { metadata: { name: 'x' }, anything: true } as KubeObject;
  t.equal(admission.admit({ group: 'kite.dev', resource: 'records', namespaced: false }, internal, undefined, 'CREATE'), internal, 'unknown resources pass through');
});

t.test('parseQuantity', async (t) => {
  const vectors: Array<[string | number, number]> = [
    ['100m', 0.1],
    ['1', 1],
    ['1.5', 1.5],
    ['128Mi', 128 * 2 ** 20],
    ['1G', 1e9],
    ['1e3', 1000],
    ['0.5Gi', 2 ** 29],
    ['500m', 0.5],
    ['2Ki', 2048],
    ['1E-3', 0.001],
    ['.5', 0.5],
    ['+3k', 3000],
    [250, 250],
  ];
  for (const [input, want] of vectors) t.ok(Math.abs(parseQuantity(input) - want) <= Math.abs(want) * 1e-12, `${input} = ${want}`);
  const canonical: Array<[string | number, string]> = [
    ['0.5', '500m'],
    ['1000m', '1'],
    ['0.5Gi', '512Mi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Ki', '512'],
    [1.5, '1500m'],
    ['2000000', '2M'],
    ['100m', '100m'],
    ['128Mi', '128Mi'],
    ['1G', '1G'],
    ['1e3', '1e3'],
    ['0', '0'],
    ['0.0000000001', '1n'],
  ];
  for (const [input, want] of canonical) t.equal(canonicalQuantity(input), want, `canonical ${input}`);
  for (const bad of ['12x', '', 'Mi', '1..2', '1.2.3', '1Mii', ' 1', '1 ', 'abc', '1e', '--1']) t.throws(() => parseQuantity(bad), { name: 'QuantityError' }, `${JSON.stringify(bad)} is rejected`);
});

type Status = { phase?: string; qosClass?: string };
type Spec = { schedulingGates?: unknown[] };

t.test('a new pod is Pending with its QoS class', async (t) => {
  const guaranteed = { name: 'g', image: 'nginx', resources: { limits: { cpu: '500m', memory: '128Mi' } } };
  const burstable = { name: 'b', image: 'nginx', resources: { requests: { cpu: '100m' } } };
  t.same(admit(pod({ containers: [nginx] })).status, { phase: 'Pending', qosClass: 'BestEffort' });
  t.same(admit(pod({ containers: [guaranteed] })).status, { phase: 'Pending', qosClass: 'Guaranteed' }, 'requests default to limits');
  t.same((admit(pod({ containers: [guaranteed, burstable] })).status as Status).qosClass, 'Burstable');
  t.same((admit(pod({ containers: [{ ...nginx, resources: { limits: { 'ephemeral-storage': '1Gi' } } }] })).status as Status).qosClass, 'BestEffort', 'only cpu and memory count');
  const running = { ...pod({ containers: [nginx] }), status: { phase: 'Running' } };
  t.equal((admit(running).status as Status).phase, 'Running', 'a status the client sent is kept');
  const stored = admit(pod({ containers: [nginx] }));
  const updated = admit({ ...stored, status: { phase: 'Running' } }, 'UPDATE', stored);
  t.same(updated.status, { phase: 'Running' }, 'updates are not defaulted to Pending');
});

t.test('scheduling gates can be removed from a pod, not added', async (t) => {
  const gated = admit(pod({ schedulingGates: [{ name: 'example.com/a' }, { name: 'example.com/b' }], containers: [nginx] }));
  const spec = gated.spec as Spec;
  const lifted = admit({ ...gated, spec: { ...spec, schedulingGates: [{ name: 'example.com/b' }] } }, 'UPDATE', gated);
  t.same((lifted.spec as Spec).schedulingGates, [{ name: 'example.com/b' }], 'one gate removed');
  const none = admit({ ...gated, spec: { ...spec, schedulingGates: undefined } }, 'UPDATE', gated);
  t.notOk((none.spec as Spec).schedulingGates, 'all gates removed');
  const more = causesOf(() => admit({ ...gated, spec: { ...spec, schedulingGates: [{ name: 'example.com/a' }, { name: 'example.com/c' }] } }, 'UPDATE', gated));
  t.same(more.causes, [{ reason: 'FieldValueForbidden', message: "Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/c'", field: 'spec.schedulingGates' }]);
});
