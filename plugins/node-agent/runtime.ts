// The ContainerRuntime contract between the node agent (kubelet role) and a runtime plugin (CRI
// role). The agent decides what runs and when; the runtime only creates, starts, stops and reports.
// Implementations: plugins/runtime-runc (real processes), plugins/runtime-hollow (none).

/** DI token: an interface and its token share one name. */
export const ContainerRuntime = Symbol.for('kite.ContainerRuntime');

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** Why an image could not be made available; `reason` is what the pod status shows. */
export class ImageError extends Error {
  constructor(readonly reason: 'ErrImagePull' | 'InvalidImageName' | 'ErrImageNeverPull', message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** A container that could not be started (bad command, missing binary): status StartError, exit code 128. */
export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

export interface SandboxConfig {
  podUid: string;
  namespace: string;
  name: string;
  /** The pod's hostname inside its UTS namespace. */
  hostname: string;
  /** Directory the agent keeps for this pod (logs, volumes); removed by the agent. */
  podDir: string;
  /** Share the node's network namespace (`spec.hostNetwork`). */
  hostNetwork?: boolean;
  /** hostPort mappings of the pod's containers, for the network step (CNI portMappings capability). */
  portMappings?: Array<{ hostPort: number; containerPort: number; protocol: string; hostIP?: string }>;
}

export interface SandboxStatus {
  id: string;
  podUid: string;
  namespace: string;
  name: string;
  ready: boolean;
  /** The pod's IP, when the runtime (or later the network plugin) gave it one. */
  ip?: string;
  /** Network namespace of the pod, e.g. `/proc/<pid>/ns/net`; absent for the host network or hollow pods. */
  netnsPath?: string;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerResources {
  memoryLimitBytes?: number;
  /** CPU limit in millicores (cfs quota). */
  cpuLimitMillis?: number;
  /** CPU request in millicores (cpu shares). */
  cpuRequestMillis?: number;
  /** Memory request in bytes (not enforced; the hollow runtime reports it as usage). */
  memoryRequestBytes?: number;
}

export interface ContainerConfig {
  sandboxId: string;
  podUid: string;
  /** The container's name in the pod spec. */
  name: string;
  /** 0 for the first instance, then the restart count. */
  attempt: number;
  image: string;
  /** Overrides the image entrypoint (Kubernetes `command`). */
  command?: string[];
  /** Overrides the image cmd (Kubernetes `args`). */
  args?: string[];
  env: Array<{ name: string; value: string }>;
  workingDir?: string;
  mounts: Mount[];
  resources: ContainerResources;
  /** Where stdout and stderr go (one file, appended); chosen by the agent so it can serve logs. */
  logPath: string;
  /** Keep stdin open for attachers (`spec.containers[].stdin`). */
  stdin?: boolean;
  /**
   * Close the container's stdin when the first attached client leaves (or closes its stdin), and
   * keep it closed until the container restarts (`spec.containers[].stdinOnce`).
   */
  stdinOnce?: boolean;
  /** Run the process on a terminal (`spec.containers[].tty`); its env gets `TERM=xterm`. */
  tty?: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  podUid: string;
  name: string;
  attempt: number;
  image: string;
  /** Resolved image, e.g. `docker.io/library/busybox@sha256:…`. */
  imageRef: string;
  state: ContainerState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** For exited containers: Completed, Error, OOMKilled or StartError. */
  reason?: string;
  message?: string;
  logPath: string;
}

/** Resource usage of one running container, as read at `timestampMs` (the kubelet's resource metrics). */
export interface ContainerStats {
  /** Cumulative CPU time the container used since it started, in nanoseconds. */
  cpuUsageNanoSeconds: number;
  /** Memory working set in bytes: usage minus inactive file pages (upstream's `container_memory_working_set_bytes`). */
  memoryWorkingSetBytes: number;
  /** When the counters were read (ms since the epoch). */
  timestampMs: number;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

/** A command running in a container, wired to a kubectl exec session. */
export interface ExecProcess {
  writeStdin(data: Uint8Array): void;
  closeStdin(): void;
  onStdout(listener: (data: Uint8Array) => void): void;
  onStderr(listener: (data: Uint8Array) => void): void;
  /** Resolves with the exit code; a command that cannot start resolves with 126/127 and a message on stderr. */
  readonly exited: Promise<number>;
  kill(): void;
  /** Changes the size of the command's terminal (exec -t); optional, ignored without a terminal. */
  resize?(cols: number, rows: number): void;
}

/** A client joined to a running container's own stdio (kubectl attach). */
export interface AttachSession {
  /** Reaches the container's stdin when it was created with `stdin` (otherwise dropped). */
  writeStdin(data: Uint8Array): void;
  /**
   * The container's output from now on: stdout and stderr apart, or everything as `stdout` for a
   * `tty` container (a terminal has one output).
   */
  onOutput(listener: (data: Uint8Array, stream: 'stdout' | 'stderr') => void): void;
  /**
   * This client's stdin ended (kubectl sent the close frame). For a `stdinOnce` container the
   * container's stdin is closed for good; otherwise it stays open for later attachers. Optional.
   */
  closeStdin?(): void;
  /** Sets the terminal size of a `tty` container. */
  resize(cols: number, rows: number): void;
  /** Resolves when the container has exited (its last output delivered). */
  readonly exited: Promise<void>;
  /** The client left: stop delivering; the container keeps running (its stdin closed if `stdinOnce`). */
  detach(): void;
}

/** A network check run from inside the pod's network namespace (probes). */
export type NetworkCheck =
  | { kind: 'tcp'; port: number; host?: string }
  | { kind: 'http'; port: number; path: string; host?: string; scheme?: string }
  /** grpc.health.v1.Health/Check on `service` (empty: the server as a whole); healthy only when SERVING. */
  | { kind: 'grpc'; port: number; service?: string; host?: string };

export interface ContainerRuntime {
  /** Short name shown in nodeInfo.containerRuntimeVersion, e.g. `runc://1.1.5`. */
  version(): Promise<string>;
  /** Makes the image available locally (pulling or building it); throws ImageError. Returns the image ref. */
  ensureImage(image: string, policy: PullPolicy): Promise<string>;

  createSandbox(config: SandboxConfig): Promise<SandboxStatus>;
  /** Stops every process of the pod and frees its namespaces; idempotent. */
  removeSandbox(id: string): Promise<void>;
  listSandboxes(): Promise<SandboxStatus[]>;

  /** Creates (does not start) a container; throws ImageError or StartError. Returns its id. */
  createContainer(config: ContainerConfig): Promise<string>;
  /** Starts a created container; throws StartError when the process cannot start. */
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`; resolves once the container has exited. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Frees the container's bundle and cgroups (its log file stays: the agent owns it). */
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  /** Every container the runtime knows, running or exited (adoption after an agent restart). */
  listContainers(): Promise<ContainerStatus[]>;
  /** Called when a container exits; returns an unsubscribe function. */
  onExit(listener: (id: string) => void): () => void;

  /** Runs a command in a running container (exec probes). */
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** Starts an interactive command in a running container (kubectl exec), with a terminal of this size when `tty` is given. */
  execStream(id: string, command: string[], tty?: { cols: number; rows: number }): ExecProcess;
  /** Joins a running container's stdio (kubectl attach); optional: runtimes without it refuse attach. */
  attachContainer?(id: string): Promise<AttachSession>;
  /**
   * Resource usage of a running container (`kubectl top` through the metrics.k8s.io API); undefined
   * when it is not running. Optional: without it the node serves no pod metrics.
   */
  containerStats?(id: string): Promise<ContainerStats | undefined>;
  /** Runs a network check in the pod's network (httpGet/tcpSocket probes); true when healthy. */
  checkNetwork(sandboxId: string, check: NetworkCheck, timeoutMs: number): Promise<{ ok: boolean; message?: string }>;

  /** Releases timers and watchers (containers keep running). */
  close(): Promise<void>;
}

/** What a ContainerRuntime plugin's factory builds: the runtime, with the plugin lifecycle. */
export type RuntimePlugin = ContainerRuntime & { start(): Promise<void>; stop(): Promise<void> };
