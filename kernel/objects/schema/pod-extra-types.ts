// Pod spec parts kubectl users touch less often: security contexts, affinity, DNS config and the
// projected / downward API volume sources.
import { CORE, LABEL_SELECTOR, bool, int, int64, list, obj, required, scalars, str, type TypeDef } from './dsl.js';

const seLinux = obj(`${CORE}SELinuxOptions`, 'SELinux context applied to the container.');
const seccomp = obj(`${CORE}SeccompProfile`, 'Seccomp profile to run with.');
const appArmor = obj(`${CORE}AppArmorProfile`, 'AppArmor profile to run with.');
const windows = obj(`${CORE}WindowsSecurityContextOptions`, 'Windows-specific settings.');
const runAs = {
  runAsUser: int64('UID the entrypoint runs as.'),
  runAsGroup: int64('GID the entrypoint runs as.'),
  runAsNonRoot: bool('Refuse to start the container as root (UID 0).'),
};
const atomic = { listType: 'atomic' as const };

export const podExtraTypes: Record<string, TypeDef> = {
  [`${CORE}SecurityContext`]: {
    description: 'Security options of a container; they override the pod-level ones.',
    fields: {
      capabilities: obj(`${CORE}Capabilities`, 'Capabilities to add or drop.'),
      privileged: bool('Run the container privileged, like root on the host.'),
      seLinuxOptions: seLinux,
      windowsOptions: windows,
      ...runAs,
      readOnlyRootFilesystem: bool('Mount the root filesystem read-only.'),
      allowPrivilegeEscalation: bool('Whether a process can gain more privileges than its parent.'),
      procMount: str('Default or Unmasked.'),
      seccompProfile: seccomp,
      appArmorProfile: appArmor,
    },
  },
  [`${CORE}Capabilities`]: {
    description: 'POSIX capabilities added to or dropped from a container.',
    fields: { add: scalars('string', 'Capabilities to add.', atomic), drop: scalars('string', 'Capabilities to drop.', atomic) },
  },
  [`${CORE}PodSecurityContext`]: {
    description: 'Pod-level security attributes and common container settings.',
    fields: {
      seLinuxOptions: seLinux,
      windowsOptions: windows,
      ...runAs,
      supplementalGroups: scalars('integer', 'Extra GIDs of the first process of each container.', atomic),
      supplementalGroupsPolicy: str('Merge or Strict.'),
      fsGroup: int64('GID that owns volumes and is added to every container.'),
      fsGroupChangePolicy: str('OnRootMismatch or Always.'),
      sysctls: list(`${CORE}Sysctl`, 'Namespaced sysctls set for the pod.', atomic),
      seccompProfile: seccomp,
      appArmorProfile: appArmor,
      seLinuxChangePolicy: str('MountOption or Recursive.'),
    },
  },
  [`${CORE}Sysctl`]: { description: 'A kernel parameter.', fields: { name: required(str('Name of the parameter.')), value: required(str('Value of the parameter.')) } },
  [`${CORE}SELinuxOptions`]: {
    description: 'SELinux labels.',
    fields: { user: str('SELinux user label.'), role: str('SELinux role label.'), type: str('SELinux type label.'), level: str('SELinux level label.') },
  },
  [`${CORE}SeccompProfile`]: {
    description: 'A seccomp profile.',
    fields: { type: required(str('Localhost, RuntimeDefault or Unconfined.')), localhostProfile: str('Profile file on the node, for Localhost.') },
  },
  [`${CORE}AppArmorProfile`]: {
    description: 'An AppArmor profile.',
    fields: { type: required(str('Localhost, RuntimeDefault or Unconfined.')), localhostProfile: str('Profile loaded on the node, for Localhost.') },
  },
  [`${CORE}WindowsSecurityContextOptions`]: {
    description: 'Windows-specific security options.',
    fields: {
      gmsaCredentialSpecName: str('Name of the GMSA credential spec.'),
      gmsaCredentialSpec: str('Contents of the GMSA credential spec.'),
      runAsUserName: str('User name the entrypoint runs as.'),
      hostProcess: bool('Run as a host process container.'),
    },
  },
  [`${CORE}Affinity`]: {
    description: 'Scheduling constraints: node affinity, pod affinity and pod anti-affinity.',
    fields: {
      nodeAffinity: obj(`${CORE}NodeAffinity`, 'Nodes the pod prefers or requires.'),
      podAffinity: obj(`${CORE}PodAffinity`, 'Pods this pod should be placed near.'),
      podAntiAffinity: obj(`${CORE}PodAntiAffinity`, 'Pods this pod should be kept away from.'),
    },
  },
  [`${CORE}NodeAffinity`]: {
    description: 'Node affinity rules.',
    fields: {
      requiredDuringSchedulingIgnoredDuringExecution: obj(`${CORE}NodeSelector`, 'Nodes must match for the pod to be scheduled.'),
      preferredDuringSchedulingIgnoredDuringExecution: list(`${CORE}PreferredSchedulingTerm`, 'Weighted preferences for nodes.', atomic),
    },
  },
  [`${CORE}NodeSelector`]: {
    description: 'A union of node selector terms.',
    fields: { nodeSelectorTerms: required(list(`${CORE}NodeSelectorTerm`, 'Terms ORed together.', atomic)) },
  },
  [`${CORE}NodeSelectorTerm`]: {
    description: 'Requirements ANDed together.',
    fields: {
      matchExpressions: list(`${CORE}NodeSelectorRequirement`, 'Requirements on node labels.', atomic),
      matchFields: list(`${CORE}NodeSelectorRequirement`, 'Requirements on node fields.', atomic),
    },
  },
  [`${CORE}NodeSelectorRequirement`]: {
    description: 'A key, an operator and values.',
    fields: {
      key: required(str('Label key.')),
      operator: required(str('In, NotIn, Exists, DoesNotExist, Gt or Lt.')),
      values: scalars('string', 'Values to compare with.', atomic),
    },
  },
  [`${CORE}PreferredSchedulingTerm`]: {
    description: 'A weighted node selector term.',
    fields: { weight: required(int('Weight, 1-100.')), preference: required(obj(`${CORE}NodeSelectorTerm`, 'The node selector term.')) },
  },
  [`${CORE}PodAffinity`]: {
    description: 'Inter-pod affinity rules.',
    fields: {
      requiredDuringSchedulingIgnoredDuringExecution: list(`${CORE}PodAffinityTerm`, 'Terms that must be met.', atomic),
      preferredDuringSchedulingIgnoredDuringExecution: list(`${CORE}WeightedPodAffinityTerm`, 'Weighted preferences.', atomic),
    },
  },
  [`${CORE}PodAntiAffinity`]: {
    description: 'Inter-pod anti-affinity rules.',
    fields: {
      requiredDuringSchedulingIgnoredDuringExecution: list(`${CORE}PodAffinityTerm`, 'Terms that must be met.', atomic),
      preferredDuringSchedulingIgnoredDuringExecution: list(`${CORE}WeightedPodAffinityTerm`, 'Weighted preferences.', atomic),
    },
  },
  [`${CORE}PodAffinityTerm`]: {
    description: 'Pods matched by a selector, in a topology domain.',
    fields: {
      labelSelector: obj(LABEL_SELECTOR, 'Pods the term refers to.'),
      namespaces: scalars('string', 'Namespaces the term applies to.', atomic),
      topologyKey: required(str('Node label key defining the co-location domain.')),
      namespaceSelector: obj(LABEL_SELECTOR, 'Namespaces the term applies to, by label.'),
      matchLabelKeys: scalars('string', 'Pod label keys merged into the selector.', atomic),
      mismatchLabelKeys: scalars('string', 'Pod label keys merged into the selector as NotIn.', atomic),
    },
  },
  [`${CORE}WeightedPodAffinityTerm`]: {
    description: 'A weighted pod affinity term.',
    fields: { weight: required(int('Weight, 1-100.')), podAffinityTerm: required(obj(`${CORE}PodAffinityTerm`, 'The term.')) },
  },
  [`${CORE}PodDNSConfig`]: {
    description: 'DNS parameters of a pod, merged with those from dnsPolicy.',
    fields: {
      nameservers: scalars('string', 'DNS server IPs.', atomic),
      searches: scalars('string', 'Search domains.', atomic),
      options: list(`${CORE}PodDNSConfigOption`, 'Resolver options.', atomic),
    },
  },
  [`${CORE}PodDNSConfigOption`]: { description: 'A resolver option.', fields: { name: str('Option name.'), value: str('Option value.') } },
  [`${CORE}DownwardAPIVolumeSource`]: {
    description: 'Pod fields exposed as files.',
    fields: {
      items: list(`${CORE}DownwardAPIVolumeFile`, 'The files.', atomic),
      defaultMode: int('Mode bits of created files; default 0644.'),
    },
  },
  [`${CORE}DownwardAPIVolumeFile`]: {
    description: 'A file with a pod field.',
    fields: {
      path: required(str('Relative path of the file.')),
      fieldRef: obj(`${CORE}ObjectFieldSelector`, 'A field of the pod.'),
      resourceFieldRef: obj(`${CORE}ResourceFieldSelector`, 'A container resource.'),
      mode: int('Mode bits of the file.'),
    },
  },
  [`${CORE}ProjectedVolumeSource`]: {
    description: 'Several volume sources projected into one directory.',
    fields: { sources: list(`${CORE}VolumeProjection`, 'The projections.', atomic), defaultMode: int('Mode bits of created files; default 0644.') },
  },
  [`${CORE}VolumeProjection`]: {
    description: 'One projected source.',
    fields: {
      secret: obj(`${CORE}SecretProjection`, 'A Secret.'),
      downwardAPI: obj(`${CORE}DownwardAPIProjection`, 'Pod fields.'),
      configMap: obj(`${CORE}ConfigMapProjection`, 'A ConfigMap.'),
      serviceAccountToken: obj(`${CORE}ServiceAccountTokenProjection`, 'A service account token.'),
      clusterTrustBundle: obj(`${CORE}ClusterTrustBundleProjection`, 'A trust bundle.'),
    },
  },
  [`${CORE}SecretProjection`]: {
    description: 'A Secret projected into a volume.',
    fields: { name: str('Name of the Secret.'), items: list(`${CORE}KeyToPath`, 'Keys to project.', atomic), optional: bool('Allow it to be missing.') },
  },
  [`${CORE}ConfigMapProjection`]: {
    description: 'A ConfigMap projected into a volume.',
    fields: { name: str('Name of the ConfigMap.'), items: list(`${CORE}KeyToPath`, 'Keys to project.', atomic), optional: bool('Allow it to be missing.') },
  },
  [`${CORE}DownwardAPIProjection`]: { description: 'Pod fields projected into a volume.', fields: { items: list(`${CORE}DownwardAPIVolumeFile`, 'The files.', atomic) } },
  [`${CORE}ServiceAccountTokenProjection`]: {
    description: 'A service account token projected into a volume.',
    fields: {
      audience: str('Intended audience of the token.'),
      expirationSeconds: int64('Requested lifetime of the token; default 1 hour.'),
      path: required(str('Relative path of the token file.')),
    },
  },
  [`${CORE}ClusterTrustBundleProjection`]: { description: 'A ClusterTrustBundle projection.', fields: {}, open: true },
};
