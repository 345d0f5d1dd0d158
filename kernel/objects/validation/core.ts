// Namespaces, ConfigMaps, Secrets, persistent volumes and claims, nodes and events.
import { FieldErrors, GoLiteral, isObject, type Loose } from './field-errors.js';
import { configMapKey, dns1123Subdomain, qualifiedName } from './names.js';
import { QUANTITY_FORMAT_MESSAGE, canonicalizeQuantities, tryParseQuantity } from './quantity.js';
import { asArray, child, clone, deepEqual } from './util.js';

const MAX_DATA_SIZE = 1024 * 1024;
const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const PV_SOURCES = [
  'hostPath', 'local', 'nfs', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'glusterfs', 'awsElasticBlockStore', 'gcePersistentDisk', 'azureDisk', 'azureFile',
  'vsphereVolume', 'portworxVolume', 'flexVolume', 'cinder', 'flocker', 'photonPersistentDisk', 'quobyte', 'scaleIO', 'storageos',
];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const IMMUTABLE_DETAIL = 'field is immutable when `immutable` is set';

function setDefault(obj: Loose, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

// ---- Namespace ----

export function defaultNamespace(obj: Loose): void {
  setDefault(child(obj, 'spec'), 'finalizers', ['kubernetes']);
  setDefault(child(obj, 'status'), 'phase', 'Active');
}

// ---- ConfigMap and Secret ----

function validateDataKeys(data: unknown, field: string, errs: FieldErrors, seen: Set<string>): number {
  if (data === undefined || data === null) return 0;
  if (!isObject(data)) {
    errs.invalid(field, data, 'must be a map');
    return 0;
  }
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    errs.invalidEach(`${field}[${key}]`, key, configMapKey(key));
    if (seen.has(key)) errs.invalid(`${field}[${key}]`, key, 'duplicate of key present in data');
    seen.add(key);
    size += String(value).length;
  }
  return size;
}

export function validateConfigMap(obj: Loose, errs: FieldErrors): void {
  const seen = new Set<string>();
  const size = validateDataKeys(obj.data, 'data', errs, seen) + validateDataKeys(obj.binaryData, 'binaryData', errs, seen);
  if (size > MAX_DATA_SIZE) errs.tooLong('', MAX_DATA_SIZE);
}

function validateImmutableData(obj: Loose, old: Loose, fields: string[], errs: FieldErrors): void {
  if (old.immutable !== true) return;
  for (const f of fields) if (!deepEqual(obj[f] ?? {}, old[f] ?? {})) errs.forbidden(f, IMMUTABLE_DETAIL);
  if (obj.immutable !== true) errs.forbidden('immutable', IMMUTABLE_DETAIL);
}

export function validateConfigMapUpdate(obj: Loose, old: Loose, errs: FieldErrors): void {
  validateImmutableData(obj, old, ['data', 'binaryData'], errs);
}

/** Secret defaults: type Opaque, and stringData folded into data (base64), as upstream stores it. */
export function defaultSecret(obj: Loose): void {
  setDefault(obj, 'type', 'Opaque');
  if (isObject(obj.stringData)) {
    const data = child(obj, 'data');
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete obj.stringData;
  }
}

const REQUIRED_SECRET_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export function validateSecret(obj: Loose, errs: FieldErrors): void {
  const size = validateDataKeys(obj.data, 'data', errs, new Set());
  if (size > MAX_DATA_SIZE) errs.tooLong('data', MAX_DATA_SIZE);
  for (const [key, value] of Object.entries(isObject(obj.data) ? obj.data : {})) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) errs.invalid(`data[${key}]`, '<secret contents redacted>', 'illegal base64 data');
  }
  for (const key of REQUIRED_SECRET_KEYS[obj.type] ?? []) if (!isObject(obj.data) || obj.data[key] === undefined) errs.required(`data[${key}]`);
  if (obj.type === 'kubernetes.io/service-account-token' && !obj.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    errs.required('metadata.annotations[kubernetes.io/service-account.name]');
  }
}

export function validateSecretUpdate(obj: Loose, old: Loose, errs: FieldErrors): void {
  if (obj.type !== old.type) errs.invalid('type', obj.type, 'field is immutable');
  validateImmutableData(obj, old, ['data'], errs);
}

// ---- PersistentVolume and PersistentVolumeClaim ----

function validateAccessModes(modes: unknown, errs: FieldErrors, requiredDetail: string): void {
  const list = asArray(modes);
  if (list.length === 0) errs.required('spec.accessModes', requiredDetail);
  for (const m of list) if (!ACCESS_MODES.includes(m)) errs.notSupported('spec.accessModes', m, ACCESS_MODES);
}

function validateVolumeMode(spec: Loose, errs: FieldErrors): void {
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(spec.volumeMode)) errs.notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES);
}

export function defaultPersistentVolume(obj: Loose): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefault(spec, 'volumeMode', 'Filesystem');
  setDefault(child(obj, 'status'), 'phase', 'Pending');
  canonicalizeQuantities(spec.capacity);
}

export function validatePersistentVolume(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  const capacity = spec.capacity;
  if (!isObject(capacity) || Object.keys(capacity).length === 0) errs.required('spec.capacity');
  else if (capacity.storage === undefined) errs.notSupported('spec.capacity', new GoLiteral('core.ResourceList{...}'), ['storage']);
  else if (tryParseQuantity(capacity.storage) === undefined) errs.invalid('spec.capacity[storage]', capacity.storage, QUANTITY_FORMAT_MESSAGE);
  validateAccessModes(spec.accessModes, errs, '');
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.required('spec', 'must specify a volume type');
  else if (sources.length > 1) errs.forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type');
  if (isObject(spec.hostPath) && !spec.hostPath.path) errs.required('spec.hostPath.path');
  if (spec.persistentVolumeReclaimPolicy !== undefined && !RECLAIM_POLICIES.includes(spec.persistentVolumeReclaimPolicy)) {
    errs.notSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, RECLAIM_POLICIES);
  }
  validateVolumeMode(spec, errs);
  if (spec.storageClassName) errs.invalidEach('spec.storageClassName', spec.storageClassName, dns1123Subdomain(String(spec.storageClassName)));
}

export function validatePersistentVolumeUpdate(obj: Loose, old: Loose, errs: FieldErrors): void {
  const pick = (spec: Loose) => Object.fromEntries(PV_SOURCES.map((s) => [s, spec?.[s]]));
  if (!deepEqual(pick(obj.spec), pick(old.spec))) errs.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation');
  if (obj.spec?.volumeMode !== old.spec?.volumeMode) errs.invalid('spec.volumeMode', obj.spec?.volumeMode ?? '', 'field is immutable');
}

export function defaultPersistentVolumeClaim(obj: Loose): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'volumeMode', 'Filesystem');
  for (const kind of ['limits', 'requests']) canonicalizeQuantities(spec.resources?.[kind]);
  canonicalizeQuantities(obj.status?.capacity);
  setDefault(child(obj, 'status'), 'phase', 'Pending');
}

export function validatePersistentVolumeClaim(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  validateAccessModes(spec.accessModes, errs, 'at least 1 access mode is required');
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) errs.required('spec.resources[storage]');
  else {
    const value = tryParseQuantity(storage);
    if (value === undefined) errs.invalid('spec.resources[storage]', storage, QUANTITY_FORMAT_MESSAGE);
    else if (value <= 0) errs.invalid('spec.resources[storage]', String(storage), 'must be greater than zero');
  }
  validateVolumeMode(spec, errs);
}

export function validatePersistentVolumeClaimUpdate(obj: Loose, old: Loose, errs: FieldErrors): void {
  const next = clone(obj.spec ?? {});
  const prev = old.spec ?? {};
  // Requests may change (expansion); the binder fills in volumeName once.
  if (next.resources || prev.resources) next.resources = { ...(next.resources ?? {}), requests: prev.resources?.requests };
  if (!prev.volumeName) next.volumeName = prev.volumeName;
  if (!deepEqual(next, prev)) errs.forbidden('spec', 'spec is immutable after creation except resources.requests for bound claims');
  const before = tryParseQuantity(prev.resources?.requests?.storage);
  const after = tryParseQuantity(obj.spec?.resources?.requests?.storage);
  if (before !== undefined && after !== undefined && after < before) errs.forbidden('spec.resources.requests.storage', 'field can not be less than previous value');
}

// ---- Node and Event ----

export function defaultNode(obj: Loose): void {
  for (const kind of ['capacity', 'allocatable']) canonicalizeQuantities(obj.status?.[kind]);
}

export function validateNode(obj: Loose, errs: FieldErrors): void {
  asArray(obj.spec?.taints).forEach((taint, i) => {
    const p = `spec.taints[${i}]`;
    if (!taint?.key) errs.required(`${p}.key`);
    else errs.invalidEach(`${p}.key`, taint.key, qualifiedName(String(taint.key)));
    if (!taint?.effect) errs.required(`${p}.effect`);
    else if (!TAINT_EFFECTS.includes(taint.effect)) errs.notSupported(`${p}.effect`, taint.effect, TAINT_EFFECTS);
  });
  for (const kind of ['capacity', 'allocatable']) {
    for (const [name, q] of Object.entries(isObject(obj.status?.[kind]) ? obj.status[kind] : {})) {
      if (tryParseQuantity(q) === undefined) errs.invalid(`status.${kind}[${name}]`, q, QUANTITY_FORMAT_MESSAGE);
    }
  }
}

export function validateEvent(obj: Loose, errs: FieldErrors): void {
  const involved = obj.involvedObject;
  if (!isObject(involved)) return errs.required('involvedObject');
  const ns = obj.metadata?.namespace;
  if (involved.namespace && ns && involved.namespace !== ns) errs.invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace');
  if (obj.type !== undefined && obj.type !== '' && !['Normal', 'Warning'].includes(obj.type)) errs.notSupported('type', obj.type, ['Normal', 'Warning']);
}
