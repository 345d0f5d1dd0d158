import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResourceRegistry, apiVersionOf, type ResourceType } from '../registry.js';
import { catalog, mergeStrategyAt, openApiV3Documents, strictDecodingError, unknownFields } from './mod.js';

const registry = new ResourceRegistry();
const rt = (group: string, resource: string): ResourceType => registry.byResource(group, resource)!;
const pods = rt('', 'pods');
const deployments = rt('apps', 'deployments');

const validPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' }, annotations: { a: 'b' }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] },
  spec: {
    containers: [
      {
        name: 'nginx',
        image: 'nginx',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }],
        resources: { limits: { cpu: '500m', memory: '1Gi' } },
        livenessProbe: { httpGet: { path: '/live', port: 80 }, periodSeconds: 10 },
        volumeMounts: [{ name: 'v', mountPath: '/data' }],
        securityContext: { capabilities: { add: ['NET_ADMIN'] }, runAsUser: 1000 },
      },
    ],
    volumes: [{ name: 'v', hostPath: { path: '/home' } }, { name: 'w', emptyDir: {} }],
    nodeSelector: { disktype: 'ssd' },
    affinity: {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] }] } },
    },
    securityContext: { fsGroup: 2000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
  },
  status: { phase: 'Running', somethingNew: 1 },
};

t.test('unknownFields', async (t) => {
  const cases: Array<{ name: string; rt: ResourceType; obj: unknown; want: string[] }> = [
    { name: 'valid pod', rt: pods, obj: validPod, want: [] },
    {
      name: 'typo in a container',
      rt: pods,
      obj: { ...validPod, spec: { ...validPod.spec, containers: [{ name: 'a', imagee: 'nginx' }] } },
      want: ['spec.containers[0].imagee'],
    },
    {
      name: 'typos at several depths',
      rt: pods,
      obj: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadat: {},
        metadata: { name: 'x', labelz: {} },
        spec: { containers: [{ name: 'a', image: 'b' }, { name: 'c', image: 'd', ports: [{ containerPort: 1, protocl: 'TCP' }] }], volumes: [{ name: 'v', hostPath: { pth: '/x' } }] },
      },
      want: ['metadat', 'metadata.labelz', 'spec.containers[1].ports[0].protocl', 'spec.volumes[0].hostPath.pth'],
    },
    {
      name: 'deployment template is a full pod template',
      rt: deployments,
      obj: { metadata: { name: 'd' }, spec: { replicas: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', command: ['x'] }], restartPolcy: 'Always' } } } },
      want: ['spec.template.spec.restartPolcy'],
    },
    { name: 'configmap data keys are free', rt: rt('', 'configmaps'), obj: { metadata: { name: 'c' }, data: { 'any.key': 'v' }, extra: 1 }, want: ['extra'] },
    { name: 'resource quantities map', rt: pods, obj: { spec: { containers: [{ resources: { requests: { cpu: '1' }, limitz: {} } }] } }, want: ['spec.containers[0].resources.limitz'] },
    { name: 'service ports', rt: rt('', 'services'), obj: { spec: { ports: [{ port: 80, targetPort: 'http', nodeport: 1 }], type: 'NodePort' } }, want: ['spec.ports[0].nodeport'] },
    {
      name: 'security context and affinity are described',
      rt: pods,
      obj: { spec: { securityContext: { runAsUsr: 1 }, containers: [{ securityContext: { privilegd: true } }], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologykey: 'x' }] } } } },
      want: ['spec.securityContext.runAsUsr', 'spec.containers[0].securityContext.privilegd', 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologykey'],
    },
    { name: 'open types accept anything', rt: rt('networking.k8s.io', 'networkpolicies'), obj: { spec: { podSelector: {}, somethingElse: [1] } }, want: [] },
    { name: 'undescribed kinds accept anything', rt: { group: 'example.com', version: 'v1', kind: 'Widget' } as ResourceType, obj: { spec: { x: 1 } }, want: [] },
    { name: 'job template', rt: rt('batch', 'jobs'), obj: { spec: { template: { spec: { containers: [{ name: 'a', image: 'b', args: ['x'] }], restartPolicy: 'Never' } }, backofflimit: 1 } }, want: ['spec.backofflimit'] },
  ];
  for (const c of cases) t.same(unknownFields(c.rt, c.obj), c.want, c.name);
});

t.test('strictDecodingError', async (t) => {
  t.equal(strictDecodingError(pods, validPod), undefined, 'valid objects pass');
  const err = strictDecodingError(deployments, { spec: { replica: 1, template: { spec: { containers: [{ imagee: 'x' }] } } } });
  t.equal(err?.code, 400);
  t.equal(err?.reason, 'BadRequest');
  t.equal(
    err?.message,
    'Deployment in version "apps/v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagee"',
  );
});

t.test('mergeStrategyAt', async (t) => {
  const cases: Array<[ResourceType, string[], object]> = [
    [pods, ['spec', 'containers'], { mergeKey: 'name', strategy: 'merge', strategies: ['merge'] }],
    [pods, ['spec', 'containers', '0', 'ports'], { mergeKey: 'containerPort', strategy: 'merge', strategies: ['merge'] }],
    [pods, ['spec', 'containers', '[1]', 'env'], { mergeKey: 'name', strategy: 'merge', strategies: ['merge'] }],
    [pods, ['spec', 'containers', '0', 'volumeMounts'], { mergeKey: 'mountPath', strategy: 'merge', strategies: ['merge'] }],
    [pods, ['spec', 'volumes'], { mergeKey: 'name', strategy: 'merge', strategies: ['merge', 'retainKeys'] }],
    [pods, ['spec', 'tolerations'], {}],
    [pods, ['metadata', 'finalizers'], { strategy: 'merge', strategies: ['merge'] }],
    [deployments, ['spec', 'template', 'spec', 'containers'], { mergeKey: 'name', strategy: 'merge', strategies: ['merge'] }],
    [deployments, ['spec', 'strategy'], { strategy: 'retainKeys', strategies: ['retainKeys'] }],
    [deployments, ['spec', 'nope'], {}],
    [rt('', 'services'), ['spec', 'ports'], { mergeKey: 'port', strategy: 'merge', strategies: ['merge'] }],
  ];
  for (const [type, path, want] of cases) t.same(mergeStrategyAt(type, path), want, `${type.kind} ${path.join('.')}`);
});

t.test('every reference in the catalog resolves', async (t) => {
  const missing: string[] = [];
  for (const [name, type] of catalog) for (const [field, def] of Object.entries(type.fields)) if (def.ref && !catalog.has(def.ref)) missing.push(`${name}.${field} → ${def.ref}`);
  t.same(missing, []);
});

t.test('openApiV3Documents structure', async (t) => {
  const { index, documents } = openApiV3Documents(registry);
  t.match(index.paths['api/v1']!.serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]+$/);
  t.ok(index.paths['apis/apps/v1'], 'apps/v1 listed');
  t.ok(index.paths['apis/rbac.authorization.k8s.io/v1'], 'rbac listed');
  t.equal(documents.size, Object.keys(index.paths).length);

  const core = documents.get('api/v1') as { components: { schemas: Record<string, any> }; paths: Record<string, any> };
  const pod = core.components.schemas['io.k8s.api.core.v1.Pod'];
  t.same(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  t.same(pod.properties.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  const containers = core.components.schemas['io.k8s.api.core.v1.PodSpec'].properties.containers;
  t.equal(containers.type, 'array');
  t.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  t.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  t.same(containers.items.allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }]);
  t.same(core.components.schemas['io.k8s.api.core.v1.PodSpec'].required, ['containers']);
  t.equal(core.components.schemas['io.k8s.api.core.v1.PodSpec'].properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  t.same(core.components.schemas['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  t.ok(core.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'meta types are included');
  t.notOk(core.components.schemas['io.k8s.api.apps.v1.Deployment'], 'other groups are not');
  const patch = core.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  t.same(patch['x-kubernetes-group-version-kind'], { group: '', kind: 'Pod', version: 'v1' });
  t.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'), 'fieldValidation is advertised');
  t.notOk('application/strategic-merge-patch+json' in patch.requestBody.content, 'kubectl keeps its compiled-in merge keys for apply');
  t.ok(core.paths['/api/v1/nodes/{name}'], 'cluster-scoped path');

  const apps = documents.get('apis/apps/v1') as { components: { schemas: Record<string, any> } };
  t.same(apps.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  t.ok(apps.components.schemas['io.k8s.api.core.v1.PodTemplateSpec'], 'pod template is pulled in by reference');
  // Every $ref in every document points into the same document.
  for (const [key, doc] of documents) {
    const text = JSON.stringify(doc);
    const schemas = (doc as { components: { schemas: Record<string, unknown> } }).components.schemas;
    const dangling = [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!).filter((n) => !schemas[n]);
    t.same(dangling, [], `${key} has no dangling references`);
  }
  t.same(openApiV3Documents(registry).index, index, 'hashes are deterministic');
});

// End to end: the real kubectl reads discovery and the OpenAPI v3 documents from a throwaway server.
const KUBECTL = '/usr/bin/kubectl';
t.test('real kubectl explain', { skip: existsSync(KUBECTL) ? false : 'kubectl not installed' }, async (t) => {
  const server = await startDiscoveryServer(registry);
  const home = mkdtempSync(join(tmpdir(), 'kite-explain-'));
  t.teardown(() => {
    server.close();
    rmSync(home, { recursive: true, force: true });
  });
  const port = (server.address() as { port: number }).port;
  const explain = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(KUBECTL, ['--server', `http://127.0.0.1:${port}`, '--cache-dir', join(home, 'cache'), 'explain', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: join(home, 'none') },
      timeout: 30_000,
    });
    return stdout;
  };
  const podSpec = await explain('pod.spec');
  t.match(podSpec, /KIND:\s+Pod/);
  t.match(podSpec, /FIELD: spec <PodSpec>/);
  t.match(podSpec, /containers\s+<\[\]Container> -required-/);
  t.match(podSpec, /restartPolicy\s+<string>/);
  const template = await explain('deployment.spec.template');
  t.match(template, /GROUP:\s+apps/);
  t.match(template, /FIELD: template <PodTemplateSpec>/);
  const limits = await explain('pods.spec.containers.resources.limits');
  t.match(limits, /map\[string\]Quantity/);
  const recursive = await explain('deployment.spec.strategy', '--recursive');
  t.match(recursive, /maxSurge\s+<IntOrString>/);
});

async function startDiscoveryServer(reg: ResourceRegistry): Promise<Server> {
  const { index, documents } = openApiV3Documents(reg);
  const groups = reg.groups();
  const resourceList = (group: string, version: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: reg
      .all()
      .filter((r) => r.group === group && r.version === version)
      .map((r) => ({ name: r.resource, singularName: r.singularName, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs, shortNames: r.shortNames })),
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const p = url.pathname;
    if (p === '/api') return send({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (p === '/api/v1') return send(resourceList('', 'v1'));
    if (p === '/apis') {
      const list = [...groups].filter(([g]) => g !== '').map(([name, versions]) => ({
        name,
        versions: versions.map((v) => ({ groupVersion: apiVersionOf({ group: name, version: v }), version: v })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      }));
      return send({ kind: 'APIGroupList', apiVersion: 'v1', groups: list });
    }
    const groupMatch = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (groupMatch) return send(resourceList(groupMatch[1]!, groupMatch[2]!));
    if (p === '/openapi/v3') return send(index);
    const doc = documents.get(p.replace(/^\/openapi\/v3\//, ''));
    if (doc) return send(doc);
    if (p === '/version') return send({ major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
