// Defaulting of pods and pod templates, as the upstream API server applies it.
import { isObject, type Loose } from './field-errors.js';
import { canonicalizeQuantities, tryParseQuantity } from './quantity.js';
import { asArray, child } from './util.js';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const VOLUME_SOURCE_KEYS = ['emptyDir', 'hostPath', 'configMap', 'secret', 'persistentVolumeClaim', 'projected', 'downwardAPI', 'nfs', 'csi', 'ephemeral', 'iscsi', 'rbd', 'cephfs', 'fc', 'image'];

function setDefault(obj: Loose, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

/** Always for `:latest` or untagged images, IfNotPresent for any other tag or a digest. */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'Always';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Loose): void {
  if (!isObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  if (isObject(probe.httpGet)) {
    setDefault(probe.httpGet, 'path', '/');
    setDefault(probe.httpGet, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: Loose): void {
  if (!isObject(c)) return;
  setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  if (isObject(c.resources)) for (const kind of ['limits', 'requests']) canonicalizeQuantities(c.resources[kind]);
  for (const port of asArray(c.ports)) if (isObject(port)) setDefault(port, 'protocol', 'TCP');
  for (const env of asArray(c.env)) if (isObject(env?.valueFrom?.fieldRef)) setDefault(env.valueFrom.fieldRef, 'apiVersion', 'v1');
  for (const p of PROBES) defaultProbe(c[p]);
  for (const hook of ['postStart', 'preStop']) {
    const httpGet = c.lifecycle?.[hook]?.httpGet;
    if (isObject(httpGet)) {
      setDefault(httpGet, 'path', '/');
      setDefault(httpGet, 'scheme', 'HTTP');
    }
  }
}

function defaultVolume(v: Loose): void {
  if (!isObject(v)) return;
  // A volume without any source is an emptyDir.
  if (!VOLUME_SOURCE_KEYS.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  if (isObject(v.hostPath)) setDefault(v.hostPath, 'type', '');
  if (isObject(v.emptyDir)) canonicalizeQuantities(v.emptyDir);
  if (isObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 0o644);
  if (isObject(v.secret)) setDefault(v.secret, 'defaultMode', 0o644);
}

/** Defaults shared by pods and pod templates (SetDefaults_PodSpec and the nested types). */
export function defaultPodSpec(spec: Loose): void {
  if (!isObject(spec)) return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...asArray(spec.initContainers), ...asArray(spec.containers)]) defaultContainer(c);
  for (const v of asArray(spec.volumes)) defaultVolume(v);
  canonicalizeQuantities(spec.overhead);
}

/** Tolerations the DefaultTolerationSeconds admission plugin adds to every pod. */
const DEFAULT_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

/**
 * Upstream GetPodQOS: BestEffort without any cpu/memory request or limit; Guaranteed when every
 * container limits cpu and memory and requests exactly that (requests default to limits).
 */
export function podQosClass(spec: Loose): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...asArray(spec?.initContainers), ...asArray(spec?.containers)];
  const compute = ['cpu', 'memory'];
  const set = (m: unknown) => isObject(m) && compute.some((r) => m[r] !== undefined);
  if (!all.some((c) => set(c?.resources?.limits) || set(c?.resources?.requests))) return 'BestEffort';
  const guaranteed = all.every((c) => compute.every((r) => {
    const limit = tryParseQuantity(c?.resources?.limits?.[r]);
    const request = tryParseQuantity(c?.resources?.requests?.[r] ?? c?.resources?.limits?.[r]);
    return limit !== undefined && limit === request;
  }));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Pod-only defaults (not for templates): service links, service account, priority, tolerations, requests. */
export function defaultPod(pod: Loose, old?: Loose): void {
  const spec = child(pod, 'spec');
  defaultPodSpec(spec);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'serviceAccountName', spec.serviceAccount ?? 'default');
  setDefault(spec, 'serviceAccount', spec.serviceAccountName);
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  const tolerations = asArray(spec.tolerations);
  for (const t of DEFAULT_TOLERATIONS) {
    const tolerated = tolerations.some((have) => have?.key === t.key && (have.effect === t.effect || !have.effect));
    if (!tolerated) tolerations.push({ ...t });
  }
  spec.tolerations = tolerations;
  // Limits without requests mean requests equal to the limits.
  for (const c of [...asArray(spec.initContainers), ...asArray(spec.containers)]) {
    const limits = c?.resources?.limits;
    if (!isObject(limits) || Object.keys(limits).length === 0) continue;
    const requests = child(c.resources, 'requests');
    for (const [name, q] of Object.entries(limits)) setDefault(requests, name, q);
  }
  if (!old) {
    // A new pod is Pending with its QoS class (upstream PrepareForCreate). A status the client
    // sent is kept otherwise: test harnesses use it to stand in for a node.
    const status = child(pod, 'status');
    setDefault(status, 'phase', 'Pending');
    setDefault(status, 'qosClass', podQosClass(spec));
  }
}

export function defaultPodTemplate(template: Loose): void {
  if (!isObject(template)) return;
  defaultPodSpec(template.spec);
}
