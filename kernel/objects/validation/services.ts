// Services: defaults and rules. ClusterIP and node port allocation happen elsewhere.
import { isIP } from 'node:net';
import { FieldErrors, GoLiteral, goValue, isObject, type Loose } from './field-errors.js';
import { validateLabels } from './meta.js';
import { PORT_RANGE_MESSAGE, dns1123Label, dns1123Subdomain, portName, validPortNumber } from './names.js';
import { asArray, child } from './util.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];

function setDefault(obj: Loose, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

export function defaultService(obj: Loose, old: Loose | undefined): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  for (const port of asArray(spec.ports)) {
    if (!isObject(port)) continue;
    setDefault(port, 'protocol', 'TCP');
    setDefault(port, 'targetPort', port.port);
  }
  if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (old) keepAllocatedValues(spec, old.spec ?? {});
}

/** An update that leaves out allocated values (a PUT of the original manifest) keeps them. */
function keepAllocatedValues(spec: Loose, before: Loose): void {
  if (spec.type !== 'ExternalName' && before.type !== 'ExternalName' && !spec.clusterIP && before.clusterIP) {
    spec.clusterIP = before.clusterIP;
    if (before.clusterIPs) spec.clusterIPs = [...before.clusterIPs];
    for (const f of ['ipFamilies', 'ipFamilyPolicy']) if (spec[f] === undefined && before[f] !== undefined) spec[f] = structuredClone(before[f]);
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const oldPorts = asArray(before.ports);
    for (const port of asArray(spec.ports)) {
      if (!isObject(port) || port.nodePort) continue;
      const same = oldPorts.find((o) => o?.port === port.port && (o?.protocol ?? 'TCP') === port.protocol && o?.nodePort);
      if (same) port.nodePort = same.nodePort;
    }
  }
}

export function validateService(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec;
  if (!isObject(spec)) return errs.required('spec');
  if (!SERVICE_TYPES.includes(spec.type)) errs.notSupported('spec.type', spec.type, SERVICE_TYPES);
  const ports = asArray(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (spec.type !== 'ExternalName' && !headless && ports.length === 0) errs.required('spec.ports');
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.required('spec.externalName');
    else errs.invalidEach('spec.externalName', spec.externalName, dns1123Subdomain(String(spec.externalName).replace(/\.$/, '')));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `spec.ports[${i}]`;
    if (!isObject(port)) return errs.required(p);
    if (ports.length > 1 && !port.name) errs.required(`${p}.name`);
    if (port.name) {
      errs.invalidEach(`${p}.name`, port.name, dns1123Label(String(port.name)));
      if (names.has(port.name)) errs.duplicate(`${p}.name`, port.name);
      names.add(port.name);
    }
    if (!validPortNumber(port.port)) errs.invalid(`${p}.port`, port.port ?? 0, PORT_RANGE_MESSAGE);
    if (!PROTOCOLS.includes(port.protocol)) errs.notSupported(`${p}.protocol`, port.protocol, PROTOCOLS);
    if (typeof port.targetPort === 'string') errs.invalidEach(`${p}.targetPort`, port.targetPort, portName(port.targetPort));
    else if (port.targetPort !== undefined && !validPortNumber(port.targetPort)) errs.invalid(`${p}.targetPort`, port.targetPort, PORT_RANGE_MESSAGE);
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (spec.type === 'ClusterIP') errs.forbidden(`${p}.nodePort`, "may not be used when `type` is 'ClusterIP'");
      else if (!validPortNumber(port.nodePort)) errs.invalid(`${p}.nodePort`, port.nodePort, PORT_RANGE_MESSAGE);
    }
  });
  if (!AFFINITIES.includes(spec.sessionAffinity)) errs.notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES);
  for (const f of ['externalTrafficPolicy', 'internalTrafficPolicy']) {
    if (spec[f] !== undefined && !TRAFFIC_POLICIES.includes(spec[f])) errs.notSupported(`spec.${f}`, spec[f], TRAFFIC_POLICIES);
  }
  if (spec.clusterIP && !headless && !isIP(String(spec.clusterIP))) {
    errs.invalid('spec.clusterIPs[0]', spec.clusterIP, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  }
  validateLabels(spec.selector, 'spec.selector', errs);
  asArray(spec.externalIPs).forEach((ip, i) => {
    if (!isIP(String(ip))) errs.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  });
}

export function validateServiceUpdate(obj: Loose, old: Loose, errs: FieldErrors): void {
  const before = old.spec?.clusterIP;
  const after = obj.spec?.clusterIP;
  const leavingExternalName = old.spec?.type === 'ExternalName' || obj.spec?.type === 'ExternalName';
  if (before && !leavingExternalName && after !== before) {
    const ips: unknown[] = obj.spec?.clusterIPs ?? (after ? [after] : []);
    errs.invalid('spec.clusterIPs[0]', new GoLiteral(`[]string{${ips.map(goValue).join(', ')}}`), 'may not change once set');
  }
}
