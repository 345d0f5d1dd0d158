// Field numbers of the Kubernetes protobuf messages kubectl's typed clients send (the `kubectl
// create <kind>` family, `create token`, evictions, typed deletes). Facts of the k8s.io/api wire
// format, checked against bodies the real kubectl 1.32 sends. Only what those commands produce is
// listed: the decoder refuses (415) a non-empty field it does not know rather than dropping it.
//
// Notation per field: `<number> <jsonName> <type>`; types: s string, i integer, b bool,
// y bytes (base64 in JSON), m map<string,string>, ym map<string,bytes>, q Quantity, qm
// map<string,Quantity>, ios
// IntOrString, t Time, or a message name. `[]` before the type: repeated. `!` after the type: keep
// zero values (pointer fields and required numbers). A jsonName of `-` inlines the message.

const messages: Record<string, string> = {
  ObjectMeta:
    '1 name s, 2 generateName s, 3 namespace s, 4 selfLink s, 5 uid s, 6 resourceVersion s, 7 generation i, ' +
    '8 creationTimestamp t, 9 deletionTimestamp t, 10 deletionGracePeriodSeconds i!, 11 labels m, 12 annotations m, ' +
    '13 ownerReferences []OwnerReference, 14 finalizers []s',
  OwnerReference: '1 kind s, 3 name s, 4 uid s, 5 apiVersion s, 6 controller b!, 7 blockOwnerDeletion b!',
  LabelSelector: '1 matchLabels m, 2 matchExpressions []LabelSelectorRequirement',
  LabelSelectorRequirement: '1 key s, 2 operator s, 3 values []s',
  LocalObjectReference: '1 name s',
  DeleteOptions: '1 gracePeriodSeconds i!, 2 preconditions Preconditions, 3 orphanDependents b!, 4 propagationPolicy s!, 5 dryRun []s',
  Preconditions: '1 uid s!, 2 resourceVersion s!',
  Empty: '',

  Namespace: '1 metadata ObjectMeta, 2 spec NamespaceSpec, 3 status Empty',
  NamespaceSpec: '1 finalizers []s',
  ConfigMap: '1 metadata ObjectMeta, 2 data m, 3 binaryData ym, 4 immutable b!',
  Secret: '1 metadata ObjectMeta, 2 data ym, 3 type s, 4 stringData m, 5 immutable b!',
  ServiceAccount: '1 metadata ObjectMeta, 2 secrets []ObjectReference, 3 imagePullSecrets []LocalObjectReference, 4 automountServiceAccountToken b!',
  ObjectReference: '1 kind s, 2 namespace s, 3 name s, 4 uid s, 5 apiVersion s, 6 resourceVersion s, 7 fieldPath s',
  Service: '1 metadata ObjectMeta, 2 spec ServiceSpec, 3 status Empty',
  ServiceSpec:
    '1 ports []ServicePort, 2 selector m, 3 clusterIP s, 4 type s, 5 externalIPs []s, 7 sessionAffinity s, ' +
    '8 loadBalancerIP s, 9 loadBalancerSourceRanges []s, 10 externalName s, 11 externalTrafficPolicy s, ' +
    '12 healthCheckNodePort i, 13 publishNotReadyAddresses b, 17 ipFamilyPolicy s!, 18 clusterIPs []s, 19 ipFamilies []s, ' +
    '20 allocateLoadBalancerNodePorts b!, 21 loadBalancerClass s!, 22 internalTrafficPolicy s!',
  ServicePort: '1 name s, 2 protocol s, 3 port i!, 4 targetPort ios, 5 nodePort i, 6 appProtocol s!',

  Pod: '1 metadata ObjectMeta, 2 spec PodSpec, 3 status Empty',
  PodTemplateSpec: '1 metadata ObjectMeta, 2 spec PodSpec',
  PodSpec:
    '1 volumes []Volume, 2 containers []Container, 3 restartPolicy s, 4 terminationGracePeriodSeconds i!, 5 activeDeadlineSeconds i!, ' +
    '6 dnsPolicy s, 7 nodeSelector m, 8 serviceAccountName s, 9 serviceAccount s, 10 nodeName s, 11 hostNetwork b, ' +
    '12 hostPID b, 13 hostIPC b, 15 imagePullSecrets []LocalObjectReference, 16 hostname s, 17 subdomain s, ' +
    '19 schedulerName s, 20 initContainers []Container, 21 automountServiceAccountToken b!, 22 tolerations []Toleration, ' +
    '24 priorityClassName s, 25 priority i!, 29 runtimeClassName s!, 30 enableServiceLinks b!, 31 preemptionPolicy s!',
  Container:
    '1 name s, 2 image s, 3 command []s, 4 args []s, 5 workingDir s, 6 ports []ContainerPort, 7 env []EnvVar, ' +
    '8 resources ResourceRequirements, 9 volumeMounts []VolumeMount, 13 terminationMessagePath s, 14 imagePullPolicy s, ' +
    '15 securityContext SecurityContext, 16 stdin b, 17 stdinOnce b, 18 tty b, 20 terminationMessagePolicy s',
  SecurityContext:
    '1 capabilities Capabilities, 2 privileged b!, 4 runAsUser i!, 5 runAsNonRoot b!, 6 readOnlyRootFilesystem b!, ' +
    '7 allowPrivilegeEscalation b!, 8 runAsGroup i!, 9 procMount s!, 11 seccompProfile SeccompProfile',
  Capabilities: '1 add []s, 2 drop []s',
  SeccompProfile: '1 type s, 2 localhostProfile s!',
  Volume: '1 name s, 2 - VolumeSource',
  VolumeSource:
    '1 hostPath HostPathVolumeSource!, 2 emptyDir EmptyDirVolumeSource!, 6 secret SecretVolumeSource!, ' +
    '10 persistentVolumeClaim PersistentVolumeClaimVolumeSource!, 19 configMap ConfigMapVolumeSource!',
  HostPathVolumeSource: '1 path s, 2 type s!',
  EmptyDirVolumeSource: '1 medium s, 2 sizeLimit q',
  SecretVolumeSource: '1 secretName s, 2 items []KeyToPath, 3 defaultMode i!, 4 optional b!',
  ConfigMapVolumeSource: '1 - LocalObjectReference, 2 items []KeyToPath, 3 defaultMode i!, 4 optional b!',
  PersistentVolumeClaimVolumeSource: '1 claimName s, 2 readOnly b',
  KeyToPath: '1 key s, 2 path s, 3 mode i!',
  ContainerPort: '1 name s, 2 hostPort i, 3 containerPort i!, 4 protocol s, 5 hostIP s',
  EnvVar: '1 name s, 2 value s',
  ResourceRequirements: '1 limits qm, 2 requests qm',
  VolumeMount: '1 name s, 2 readOnly b, 3 mountPath s, 4 subPath s, 5 mountPropagation s!, 6 subPathExpr s',
  Toleration: '1 key s, 2 operator s, 3 value s, 4 effect s, 5 tolerationSeconds i!',
  Eviction: '1 metadata ObjectMeta, 2 deleteOptions DeleteOptions',

  Deployment: '1 metadata ObjectMeta, 2 spec DeploymentSpec, 3 status Empty',
  DeploymentSpec:
    '1 replicas i!, 2 selector LabelSelector, 3 template PodTemplateSpec, 4 strategy DeploymentStrategy, ' +
    '5 minReadySeconds i, 6 revisionHistoryLimit i!, 7 paused b, 9 progressDeadlineSeconds i!',
  DeploymentStrategy: '1 type s, 2 rollingUpdate RollingUpdateDeployment',
  RollingUpdateDeployment: '1 maxUnavailable ios, 2 maxSurge ios',
  Job: '1 metadata ObjectMeta, 2 spec JobSpec, 3 status Empty',
  JobSpec:
    '1 parallelism i!, 2 completions i!, 3 activeDeadlineSeconds i!, 4 selector LabelSelector, 5 manualSelector b!, ' +
    '6 template PodTemplateSpec, 7 backoffLimit i!, 8 ttlSecondsAfterFinished i!, 9 completionMode s!, 10 suspend b!',
  CronJob: '1 metadata ObjectMeta, 2 spec CronJobSpec, 3 status Empty',
  CronJobSpec:
    '1 schedule s, 2 startingDeadlineSeconds i!, 3 concurrencyPolicy s, 4 suspend b!, 5 jobTemplate JobTemplateSpec, ' +
    '6 successfulJobsHistoryLimit i!, 7 failedJobsHistoryLimit i!, 8 timeZone s!',
  JobTemplateSpec: '1 metadata ObjectMeta, 2 spec JobSpec',

  Ingress: '1 metadata ObjectMeta, 2 spec IngressSpec, 3 status Empty',
  IngressSpec: '1 defaultBackend IngressBackend, 2 tls []IngressTLS, 3 rules []IngressRule, 4 ingressClassName s!',
  IngressBackend: '3 resource TypedLocalObjectReference, 4 service IngressServiceBackend',
  IngressServiceBackend: '1 name s, 2 port ServiceBackendPort',
  ServiceBackendPort: '1 name s, 2 number i',
  TypedLocalObjectReference: '1 apiGroup s!, 2 kind s, 3 name s',
  IngressTLS: '1 hosts []s, 2 secretName s',
  IngressRule: '1 host s, 2 - IngressRuleValue',
  IngressRuleValue: '1 http HTTPIngressRuleValue',
  HTTPIngressRuleValue: '1 paths []HTTPIngressPath',
  HTTPIngressPath: '1 path s, 2 backend IngressBackend, 3 pathType s!',

  Role: '1 metadata ObjectMeta, 2 rules []PolicyRule',
  ClusterRole: '1 metadata ObjectMeta, 2 rules []PolicyRule, 3 aggregationRule AggregationRule',
  PolicyRule: '1 verbs []s, 2 apiGroups []s, 3 resources []s, 4 resourceNames []s, 5 nonResourceURLs []s',
  AggregationRule: '1 clusterRoleSelectors []LabelSelector',
  RoleBinding: '1 metadata ObjectMeta, 2 subjects []Subject, 3 roleRef RoleRef',
  ClusterRoleBinding: '1 metadata ObjectMeta, 2 subjects []Subject, 3 roleRef RoleRef',
  Subject: '1 kind s, 2 apiGroup s, 3 name s, 4 namespace s',
  RoleRef: '1 apiGroup s, 2 kind s, 3 name s',

  SelfSubjectAccessReview: '1 metadata ObjectMeta, 2 spec SelfSubjectAccessReviewSpec, 3 status Empty',
  SelfSubjectAccessReviewSpec: '1 resourceAttributes ResourceAttributes, 2 nonResourceAttributes NonResourceAttributes',
  ResourceAttributes: '1 namespace s, 2 verb s, 3 group s, 4 version s, 5 resource s, 6 subresource s, 7 name s',
  NonResourceAttributes: '1 path s, 2 verb s',
  SelfSubjectRulesReview: '1 metadata ObjectMeta, 2 spec SelfSubjectRulesReviewSpec, 3 status Empty',
  SelfSubjectRulesReviewSpec: '1 namespace s',
  SelfSubjectReview: '1 metadata ObjectMeta, 2 status Empty',
  PriorityClass: '1 metadata ObjectMeta, 2 value i!, 3 globalDefault b, 4 description s, 5 preemptionPolicy s!',
  PodDisruptionBudget: '1 metadata ObjectMeta, 2 spec PodDisruptionBudgetSpec, 3 status Empty',
  PodDisruptionBudgetSpec: '1 minAvailable ios, 2 selector LabelSelector, 3 maxUnavailable ios, 4 unhealthyPodEvictionPolicy s!',
  // autoscaling/v1 (kubectl autoscale); the stored autoscaling/v2 layout is not listed.
  'HorizontalPodAutoscaler@autoscaling/v1': '1 metadata ObjectMeta, 2 spec HorizontalPodAutoscalerSpecV1, 3 status Empty',
  HorizontalPodAutoscalerSpecV1: '1 scaleTargetRef CrossVersionObjectReference, 2 minReplicas i!, 3 maxReplicas i!, 4 targetCPUUtilizationPercentage i!',
  CrossVersionObjectReference: '1 kind s, 2 name s, 3 apiVersion s',
  TokenRequest: '1 metadata ObjectMeta, 2 spec TokenRequestSpec, 3 status Empty',
  TokenRequestSpec: '1 audiences []s, 3 boundObjectRef BoundObjectReference, 4 expirationSeconds i!',
  BoundObjectReference: '1 kind s, 2 apiVersion s, 3 name s, 4 uid s',
};

export interface ProtoField {
  name: string;
  /** Scalar code (s, i, b, y, m, ym, q, qm, ios, t) or a message name. */
  type: string;
  repeated: boolean;
  keepZero: boolean;
  inline: boolean;
}

export type ProtoMessage = Map<number, ProtoField>;

const parsed = new Map<string, ProtoMessage>();

function parseMessage(spec: string): ProtoMessage {
  const fields: ProtoMessage = new Map();
  for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [num, name, rawType] = entry.split(/\s+/);
    const repeated = rawType.startsWith('[]');
    const keepZero = rawType.endsWith('!');
    const type = rawType.replace(/^\[\]/, '').replace(/!$/, '');
    fields.set(Number(num), { name, type, repeated, keepZero, inline: name === '-' });
  }
  return fields;
}

/** The message's fields by number, or undefined for a message Kite cannot decode. */
export function protoMessage(name: string): ProtoMessage | undefined {
  let message = parsed.get(name);
  if (!message && messages[name] !== undefined) {
    message = parseMessage(messages[name]);
    parsed.set(name, message);
  }
  return message;
}
