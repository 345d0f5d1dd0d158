// Validation of pods and pod specs (also used for the templates of workloads).
import { FieldErrors, isInteger, isObject, type Loose } from './field-errors.js';
import { validateAnnotations, validateLabels } from './meta.js';
import { PORT_RANGE_MESSAGE, dns1123Label, dns1123Subdomain, envVarName, portName, qualifiedName, validPortNumber } from './names.js';
import { QUANTITY_FORMAT_MESSAGE, tryParseQuantity } from './quantity.js';
import { NON_NEGATIVE, asArray, deepEqual } from './util.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const VOLUME_SOURCES = ['emptyDir', 'hostPath', 'configMap', 'secret', 'persistentVolumeClaim', 'projected', 'downwardAPI', 'nfs', 'csi', 'ephemeral', 'iscsi', 'rbd', 'cephfs', 'fc', 'image'];
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function validatePortRef(port: unknown, path: string, errs: FieldErrors): void {
  if (typeof port === 'string') errs.invalidEach(path, port, portName(port));
  else if (!validPortNumber(port)) errs.invalid(path, port, PORT_RANGE_MESSAGE);
}

function validateNonNegative(obj: Loose, fields: string[], path: string, errs: FieldErrors): void {
  for (const f of fields) if (obj[f] !== undefined && !(isInteger(obj[f]) && obj[f] >= 0)) errs.invalid(`${path}.${f}`, obj[f], NON_NEGATIVE);
}

function validateProbe(probe: Loose, path: string, errs: FieldErrors, mustSucceedOnce: boolean): void {
  if (!isObject(probe)) return;
  const handlers = PROBE_HANDLERS.filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length === 0) errs.required(path, 'must specify a handler type');
  else if (handlers.length > 1) errs.forbidden(`${path}.${handlers[1]}`, 'may not specify more than 1 handler type');
  if (isObject(probe.httpGet)) validatePortRef(probe.httpGet.port, `${path}.httpGet.port`, errs);
  if (isObject(probe.tcpSocket)) validatePortRef(probe.tcpSocket.port, `${path}.tcpSocket.port`, errs);
  // gRPC probes take a port number only (no named ports), as upstream.
  if (isObject(probe.grpc) && !validPortNumber(probe.grpc.port)) errs.invalid(`${path}.grpc.port`, probe.grpc.port, PORT_RANGE_MESSAGE);
  validateNonNegative(probe, ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'], path, errs);
  if (mustSucceedOnce && probe.successThreshold !== undefined && probe.successThreshold !== 1) errs.invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1');
}

function validateResources(resources: Loose, path: string, errs: FieldErrors): void {
  if (!isObject(resources)) return;
  const parsed: Record<'limits' | 'requests', Map<string, number>> = { limits: new Map(), requests: new Map() };
  for (const kind of ['limits', 'requests'] as const) {
    if (!isObject(resources[kind])) continue;
    for (const [name, q] of Object.entries(resources[kind])) {
      const value = tryParseQuantity(q);
      if (value === undefined) errs.invalid(`${path}.${kind}[${name}]`, q, QUANTITY_FORMAT_MESSAGE);
      else if (value < 0) errs.invalid(`${path}.${kind}[${name}]`, String(q), NON_NEGATIVE);
      else parsed[kind].set(name, value);
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    if (limit !== undefined && request > limit) {
      errs.invalid(`${path}.requests`, String(resources.requests[name]), `must be less than or equal to ${name} limit of ${resources.limits[name]}`);
    }
  }
}

function validateContainer(c: Loose, path: string, volumes: Set<string>, names: Set<string>, errs: FieldErrors, init: boolean): void {
  if (!isObject(c)) return errs.required(path);
  if (!c.name) errs.required(`${path}.name`);
  else {
    errs.invalidEach(`${path}.name`, c.name, dns1123Label(String(c.name)));
    if (names.has(c.name)) errs.duplicate(`${path}.name`, c.name);
    names.add(c.name);
  }
  if (!c.image) errs.required(`${path}.image`);
  if (c.restartPolicy !== undefined) {
    // Only init containers take a restart policy, and only Always (a sidecar).
    if (!init) errs.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers');
    else if (c.restartPolicy !== 'Always') errs.notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']);
  }
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) errs.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES);
  const portNames = new Set<string>();
  asArray(c.ports).forEach((port, i) => {
    const p = `${path}.ports[${i}]`;
    if (!port?.containerPort) errs.required(`${p}.containerPort`);
    else if (!validPortNumber(port.containerPort)) errs.invalid(`${p}.containerPort`, port.containerPort, PORT_RANGE_MESSAGE);
    if (port?.hostPort && !validPortNumber(port.hostPort)) errs.invalid(`${p}.hostPort`, port.hostPort, PORT_RANGE_MESSAGE);
    if (port?.protocol !== undefined && !PROTOCOLS.includes(port.protocol)) errs.notSupported(`${p}.protocol`, port.protocol, PROTOCOLS);
    if (port?.name) {
      errs.invalidEach(`${p}.name`, port.name, portName(String(port.name)));
      if (portNames.has(port.name)) errs.duplicate(`${p}.name`, port.name);
      portNames.add(port.name);
    }
  });
  asArray(c.env).forEach((env, i) => {
    if (!env?.name) errs.required(`${path}.env[${i}].name`);
    else errs.invalidEach(`${path}.env[${i}].name`, env.name, envVarName(String(env.name)));
  });
  const mountPaths = new Set<string>();
  asArray(c.volumeMounts).forEach((m, i) => {
    const p = `${path}.volumeMounts[${i}]`;
    if (!m?.name) errs.required(`${p}.name`);
    else if (!volumes.has(m.name)) errs.notFound(`${p}.name`, m.name);
    if (!m?.mountPath) errs.required(`${p}.mountPath`);
    else if (mountPaths.has(m.mountPath)) errs.invalid(`${p}.mountPath`, m.mountPath, 'must be unique');
    else mountPaths.add(m.mountPath);
  });
  validateResources(c.resources, `${path}.resources`, errs);
  if (!init) {
    validateProbe(c.livenessProbe, `${path}.livenessProbe`, errs, true);
    validateProbe(c.readinessProbe, `${path}.readinessProbe`, errs, false);
    validateProbe(c.startupProbe, `${path}.startupProbe`, errs, true);
  }
}

function validateVolumes(volumes: unknown, path: string, errs: FieldErrors): Set<string> {
  const names = new Set<string>();
  asArray(volumes).forEach((v, i) => {
    const p = `${path}[${i}]`;
    if (!v?.name) errs.required(`${p}.name`);
    else {
      errs.invalidEach(`${p}.name`, v.name, dns1123Label(String(v.name)));
      if (names.has(v.name)) errs.duplicate(`${p}.name`, v.name);
      names.add(v.name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v?.[s] !== undefined && v?.[s] !== null);
    if (sources.length === 0) errs.required(p, 'must specify a volume type');
    else if (sources.length > 1) errs.forbidden(`${p}.${sources[1]}`, 'may not specify more than 1 volume type');
    if (isObject(v?.hostPath) && !v.hostPath.path) errs.required(`${p}.hostPath.path`);
    if (isObject(v?.configMap) && !v.configMap.name) errs.required(`${p}.configMap.name`);
    if (isObject(v?.secret) && !v.secret.secretName) errs.required(`${p}.secret.secretName`);
    if (isObject(v?.persistentVolumeClaim) && !v.persistentVolumeClaim.claimName) errs.required(`${p}.persistentVolumeClaim.claimName`);
    if (v?.emptyDir?.sizeLimit !== undefined && tryParseQuantity(v.emptyDir.sizeLimit) === undefined) {
      errs.invalid(`${p}.emptyDir.sizeLimit`, v.emptyDir.sizeLimit, QUANTITY_FORMAT_MESSAGE);
    }
  });
  return names;
}

function validateTolerations(tolerations: unknown, path: string, errs: FieldErrors): void {
  asArray(tolerations).forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(t)) return;
    if (t.key) errs.invalidEach(`${p}.key`, t.key, qualifiedName(String(t.key)));
    const operator = t.operator ?? 'Equal';
    if (!TOLERATION_OPERATORS.includes(operator)) errs.notSupported(`${p}.operator`, operator, TOLERATION_OPERATORS);
    else if (!t.key && operator !== 'Exists') errs.invalid(`${p}.operator`, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"');
    else if (operator === 'Exists' && t.value) errs.invalid(`${p}.operator`, t.value, "value must be empty when `operator` is 'Exists'");
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.notSupported(`${p}.effect`, t.effect, TAINT_EFFECTS);
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') errs.invalid(`${p}.effect`, t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set');
  });
}

export function validatePodSpec(spec: Loose, path: string, errs: FieldErrors): void {
  if (!isObject(spec)) return errs.required(path);
  const volumes = validateVolumes(spec.volumes, `${path}.volumes`, errs);
  const names = new Set<string>();
  asArray(spec.initContainers).forEach((c, i) => validateContainer(c, `${path}.initContainers[${i}]`, volumes, names, errs, true));
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errs.required(`${path}.containers`);
  else spec.containers.forEach((c: Loose, i: number) => validateContainer(c, `${path}.containers[${i}]`, volumes, names, errs, false));
  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(spec.restartPolicy)) errs.notSupported(`${path}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES);
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(spec.dnsPolicy)) errs.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES);
  if (spec.activeDeadlineSeconds !== undefined && !(isInteger(spec.activeDeadlineSeconds) && spec.activeDeadlineSeconds >= 1)) {
    errs.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive');
  }
  validateLabels(spec.nodeSelector, `${path}.nodeSelector`, errs);
  validateTolerations(spec.tolerations, `${path}.tolerations`, errs);
  for (const field of ['hostname', 'subdomain']) if (spec[field]) errs.invalidEach(`${path}.${field}`, spec[field], dns1123Label(String(spec[field])));
  for (const field of ['serviceAccountName', 'nodeName', 'priorityClassName']) {
    if (spec[field]) errs.invalidEach(`${path}.${field}`, spec[field], dns1123Subdomain(String(spec[field])));
  }
}

export function validatePodTemplate(template: Loose, path: string, errs: FieldErrors): void {
  if (!isObject(template)) return errs.required(path);
  validateLabels(template.metadata?.labels, `${path}.metadata.labels`, errs);
  validateAnnotations(template.metadata?.annotations, `${path}.metadata.annotations`, errs);
  validatePodSpec(template.spec, `${path}.spec`, errs);
}

const POD_UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
].join(',');

/** Pod specs are immutable except images, the deadline, added tolerations and the binding to a node. */
export function validatePodUpdate(pod: Loose, old: Loose, errs: FieldErrors): void {
  const spec = pod.spec ?? {};
  const prev = old.spec ?? {};
  // Scheduling gates can only be removed (upstream validateOnlyDeletedSchedulingGates).
  const before = new Set(asArray(prev.schedulingGates).map((g) => g?.name));
  const added = asArray(spec.schedulingGates).filter((g) => !before.has(g?.name));
  for (const g of added) errs.forbidden('spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${String(g?.name)}'`);
  if (added.length === 0 && !podSpecUpdateAllowed(spec, prev)) errs.forbidden('spec', `pod updates may not change fields other than ${POD_UPDATABLE_FIELDS}`);
}

/** Containers equal but for their images (which updates may change). */
function sameButImages(next: unknown, prev: unknown): boolean {
  const a = asArray(next);
  const b = asArray(prev);
  if (a.length !== b.length || Array.isArray(next) !== Array.isArray(prev)) return deepEqual(next, prev);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!isObject(x) || !isObject(y)) {
      if (!deepEqual(x, y)) return false;
      continue;
    }
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) if (k !== 'image' && !deepEqual(x[k], y[k])) return false;
  }
  return true;
}

/**
 * Upstream ValidatePodUpdate's spec rule without copying the spec (every binding and status write
 * of a pod passes here): only images, activeDeadlineSeconds, added tolerations, a first nodeName
 * (binding) and a negative grace period turned 1 may differ.
 */
function podSpecUpdateAllowed(next: Loose, prev: Loose): boolean {
  if (next === prev) return true;
  for (const k of new Set([...Object.keys(next), ...Object.keys(prev)])) {
    const a = next[k];
    const b = prev[k];
    switch (k) {
      case 'containers':
      case 'initContainers':
        if (!sameButImages(a, b)) return false;
        break;
      case 'activeDeadlineSeconds':
        break;
      case 'tolerations':
        if (!asArray(b).every((t) => asArray(a).some((n) => deepEqual(n, t))) && !deepEqual(a, b)) return false;
        break;
      case 'terminationGracePeriodSeconds':
        if (!(b < 0 && a === 1) && !deepEqual(a, b)) return false;
        break;
      case 'nodeName':
        if (b && !deepEqual(a, b)) return false;
        break;
      case 'schedulingGates':
        // Removals only: additions are reported by validatePodUpdate.
        break;
      default:
        if (!deepEqual(a, b)) return false;
    }
  }
  return true;
}
