// Types of the smaller API groups. Most specs are described only at the top and left open.
import { LABEL_SELECTOR, META, anyValue, bool, int, list, map, obj, required, scalars, str, topLevel, type TypeDef } from './dsl.js';

const open = (description: string): TypeDef => ({ description, fields: {}, open: true });
const NET = 'io.k8s.api.networking.v1.';
const RBAC = 'io.k8s.api.rbac.v1.';

const rules = list(`${RBAC}PolicyRule`, 'The rules of this role.', { listType: 'atomic' });
const subjects = list(`${RBAC}Subject`, 'The subjects the role applies to.', { listType: 'atomic' });
const roleRef = required(obj(`${RBAC}RoleRef`, 'The Role or ClusterRole being granted; cannot be updated.'));

export const groupTypes: Record<string, TypeDef> = {
  [`${NET}Ingress`]: { description: 'Rules that route outside HTTP(S) traffic to services.', fields: topLevel('ingress', `${NET}IngressSpec`, `${NET}IngressStatus`) },
  [`${NET}IngressSpec`]: {
    description: 'Desired behaviour of an ingress.',
    fields: {
      ingressClassName: str('Name of the IngressClass that implements this ingress.'),
      defaultBackend: obj(`${NET}IngressBackend`, 'Backend for requests no rule matches.'),
      tls: list(`${NET}IngressTLS`, 'TLS configuration.', { listType: 'atomic' }),
      rules: list(`${NET}IngressRule`, 'Host rules.', { listType: 'atomic' }),
    },
  },
  [`${NET}IngressTLS`]: { description: 'TLS for a set of hosts.', fields: { hosts: scalars('string', 'Hosts in the certificate.', { listType: 'atomic' }), secretName: str('Secret with the certificate.') } },
  [`${NET}IngressRule`]: { description: 'Routes requests for a host.', fields: { host: str('Fully qualified domain name.'), http: obj(`${NET}HTTPIngressRuleValue`, 'HTTP paths.') } },
  [`${NET}HTTPIngressRuleValue`]: { description: 'A list of HTTP paths.', fields: { paths: required(list(`${NET}HTTPIngressPath`, 'Paths mapped to backends.', { listType: 'atomic' })) } },
  [`${NET}HTTPIngressPath`]: {
    description: 'A path mapped to a backend.',
    fields: { path: str('Path matched against the request.'), pathType: required(str('Exact, Prefix or ImplementationSpecific.')), backend: required(obj(`${NET}IngressBackend`, 'Where matching requests go.')) },
  },
  [`${NET}IngressBackend`]: { description: 'A service or resource backend.', fields: { service: obj(`${NET}IngressServiceBackend`, 'A service backend.'), resource: anyValue('A resource backend.') } },
  [`${NET}IngressServiceBackend`]: { description: 'A service and port.', fields: { name: required(str('Service name.')), port: obj(`${NET}ServiceBackendPort`, 'Service port.') } },
  [`${NET}ServiceBackendPort`]: { description: 'A service port by name or number.', fields: { name: str('Port name.'), number: int('Port number.') } },
  [`${NET}IngressStatus`]: open('Current state of an ingress.'),
  [`${NET}IngressClass`]: { description: 'The controller that implements ingresses of a class.', fields: topLevel('ingress class', `${NET}IngressClassSpec`) },
  [`${NET}IngressClassSpec`]: open('Controller name and parameters of an ingress class.'),
  [`${NET}NetworkPolicy`]: { description: 'Allowed network traffic for a set of pods.', fields: topLevel('network policy', `${NET}NetworkPolicySpec`) },
  [`${NET}NetworkPolicySpec`]: {
    description: 'Desired behaviour of a network policy.',
    open: true,
    fields: {
      podSelector: obj(LABEL_SELECTOR, 'Pods the policy applies to; empty selects all pods in the namespace.'),
      policyTypes: scalars('string', 'Ingress and/or Egress.', { listType: 'atomic' }),
      ingress: scalars('any', 'Allowed ingress rules.', { listType: 'atomic' }),
      egress: scalars('any', 'Allowed egress rules.', { listType: 'atomic' }),
    },
  },
  'io.k8s.api.storage.v1.StorageClass': {
    description: 'A class of dynamically provisioned persistent volumes.',
    fields: topLevel('storage class', undefined, undefined, {
      provisioner: required(str('Name of the volume plugin that provisions volumes.')),
      parameters: map('string', 'Parameters for the provisioner.'),
      reclaimPolicy: str('Delete or Retain; default Delete.'),
      mountOptions: scalars('string', 'Mount options of provisioned volumes.', { listType: 'atomic' }),
      allowVolumeExpansion: bool('Whether claims may be expanded.'),
      volumeBindingMode: str('Immediate or WaitForFirstConsumer; default Immediate.'),
      allowedTopologies: scalars('any', 'Topologies volumes may be provisioned in.', { listType: 'atomic' }),
    }),
  },
  'io.k8s.api.coordination.v1.Lease': { description: 'A lease.', fields: topLevel('lease', 'io.k8s.api.coordination.v1.LeaseSpec') },
  'io.k8s.api.coordination.v1.LeaseSpec': {
    description: 'Specification of a lease.',
    fields: {
      holderIdentity: str('Current holder of the lease.'),
      leaseDurationSeconds: int('Seconds candidates wait before forcing acquisition.'),
      acquireTime: obj(`${META}MicroTime`, 'When the current lease was acquired.'),
      renewTime: obj(`${META}MicroTime`, 'When the holder last renewed the lease.'),
      leaseTransitions: int('Transitions of the lease between holders.'),
      strategy: str('Strategy for picking the leader.'),
      preferredHolder: str('Signal to the holder that it should give up the lease.'),
    },
  },
  'io.k8s.api.discovery.v1.EndpointSlice': {
    description: 'A subset of the endpoints that implement a service.',
    fields: topLevel('endpoint slice', undefined, undefined, {
      addressType: required(str('IPv4, IPv6 or FQDN.')),
      endpoints: required(scalars('any', 'The endpoints.', { listType: 'atomic' })),
      ports: scalars('any', 'Ports exposed by every endpoint.', { listType: 'atomic' }),
    }),
  },
  'io.k8s.api.scheduling.v1.PriorityClass': {
    description: 'Maps a priority class name to an integer priority.',
    fields: topLevel('priority class', undefined, undefined, {
      value: required(int('Priority of pods that name this class.')),
      globalDefault: bool('Default priority for pods without a class.'),
      description: str('When this class should be used.'),
      preemptionPolicy: str('Never or PreemptLowerPriority.'),
    }),
  },
  [`${RBAC}Role`]: { description: 'A namespaced set of permissions.', fields: topLevel('role', undefined, undefined, { rules }) },
  [`${RBAC}ClusterRole`]: {
    description: 'A cluster-wide set of permissions.',
    fields: topLevel('cluster role', undefined, undefined, { rules, aggregationRule: anyValue('Selects ClusterRoles whose rules are aggregated here.') }),
  },
  [`${RBAC}RoleBinding`]: { description: 'Grants a role within a namespace.', fields: topLevel('role binding', undefined, undefined, { subjects, roleRef }) },
  [`${RBAC}ClusterRoleBinding`]: { description: 'Grants a cluster role cluster-wide.', fields: topLevel('cluster role binding', undefined, undefined, { subjects, roleRef }) },
  [`${RBAC}PolicyRule`]: {
    description: 'Actions allowed on resources.',
    fields: {
      verbs: required(scalars('string', 'Verbs allowed; * is all.', { listType: 'atomic' })),
      apiGroups: scalars('string', 'API groups of the resources.', { listType: 'atomic' }),
      resources: scalars('string', 'Resources the rule applies to.', { listType: 'atomic' }),
      resourceNames: scalars('string', 'Optional allow list of names.', { listType: 'atomic' }),
      nonResourceURLs: scalars('string', 'Non-resource URL paths.', { listType: 'atomic' }),
    },
  },
  [`${RBAC}Subject`]: {
    description: 'A user, group or service account.',
    fields: { kind: required(str('User, Group or ServiceAccount.')), apiGroup: str('API group of the subject.'), name: required(str('Name of the subject.')), namespace: str('Namespace of a ServiceAccount.') },
  },
  [`${RBAC}RoleRef`]: {
    description: 'The role being referenced.',
    fields: { apiGroup: required(str('API group of the role.')), kind: required(str('Role or ClusterRole.')), name: required(str('Name of the role.')) },
  },
  'io.k8s.api.authorization.v1.SelfSubjectAccessReview': { description: 'Checks whether the current user can perform an action.', fields: topLevel('review'), open: true },
  'io.k8s.api.authorization.v1.SubjectAccessReview': { description: 'Checks whether a user or group can perform an action.', fields: topLevel('review'), open: true },
};

