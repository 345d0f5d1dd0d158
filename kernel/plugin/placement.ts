// Running one plugin instance in its placement. In-process: a child container in this process.
// Worker and process: the runner module (runner.ts) in a worker thread or a forked child, driven
// by a tiny control protocol; both report a failure after start through `onFailure`.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { PluginContext } from '../tokens.js';
import { createPluginContainer, errorMessage, instantiatePlugin, type PluginServices } from './load.js';
import type { Placement, Plugin, PluginManifest } from './types.js';

/** What the runner needs to load the plugin by itself (workerData, or the first IPC message). */
export interface RunnerInit {
  name: string;
  module: string;
  resolvedModule: string;
  /** Message prefix for configuration errors, e.g. `kite.yaml: plugins[0] ("example")`. */
  describeEntry: string;
  placement: 'worker' | 'process';
  /** Raw options; the runner validates them with the manifest's setup() again (setup is pure). */
  options: unknown;
  natsServers: string[];
  dataDir: string;
  stopGraceMs: number;
  /** Process placement only: run the child in this named network namespace (`kite up --nodes`: one per node). */
  netns?: string;
}

/** Host → runner. */
export type ToRunner = { type: 'init'; init: RunnerInit } | { type: 'stop' };
/** Runner → host. `phase` tells a failed start from a failure reported while running. */
export type FromRunner = { type: 'started' } | { type: 'failed'; phase: 'start' | 'run'; error: string } | { type: 'stopped' };

export interface RunningInstance {
  /** Releases the plugin: stop(), then for worker/process the thread or child is gone when this resolves. */
  stop(): Promise<void>;
}

export interface InProcessLaunch {
  name: string;
  placement: Placement;
  manifest: PluginManifest;
  options: unknown;
  dataDir: string;
  natsServers: string[];
  services: PluginServices;
  stopGraceMs: number;
  logger: Logger;
}

/**
 * Builds and starts the plugin here. A start that throws (or a fail() reported during start, or
 * an abort of `signal`) stops what the plugin already acquired and rejects; fail() after start
 * calls onFailure once. On abort stop() may run while start() is still pending.
 */
export async function launchInProcess(spec: InProcessLaunch, onFailure: (err: Error) => void, signal?: AbortSignal): Promise<RunningInstance> {
  let phase: 'starting' | 'running' | 'done' = 'starting';
  let failedDuringStart: Error | undefined;
  const context: PluginContext = {
    name: spec.name,
    placement: spec.placement,
    dataDir: spec.dataDir,
    natsServers: spec.natsServers,
    fail: (err: Error) => {
      if (phase === 'starting') failedDuringStart ??= err;
      else if (phase === 'running') {
        phase = 'done';
        onFailure(err);
      }
    },
  };
  const container = createPluginContainer(spec.services, context, spec.options);
  let plugin: Plugin | undefined;
  const release = async () => {
    phase = 'done';
    if (plugin) await withGrace(plugin.stop(), spec.stopGraceMs, () => spec.logger.warn('plugin stop() did not finish in time', { plugin: spec.name, graceMs: spec.stopGraceMs }));
    await Promise.resolve(container.dispose()).catch(() => undefined);
  };
  try {
    plugin = await instantiatePlugin(spec.manifest, container);
    await abortable(plugin.start(), signal);
    if (failedDuringStart) throw failedDuringStart;
  } catch (err) {
    await release().catch((stopErr: unknown) => spec.logger.warn('plugin stop() after a failed start threw', { plugin: spec.name, error: errorMessage(stopErr) }));
    throw err;
  }
  phase = 'running';
  return { stop: release };
}

/** The one side of a worker or child we need: messages in and out, exit, and a hard kill. */
interface RunnerChannel {
  send(msg: ToRunner): void;
  onMessage(handler: (msg: FromRunner) => void): void;
  /** Called once with a description of how it ended, e.g. `exit code 1`. */
  onExit(handler: (how: string) => void): void;
  kill(): void;
}

function workerChannel(runnerPath: string, init: RunnerInit): RunnerChannel {
  const worker = new Worker(runnerPath, { workerData: init });
  let lastError: string | undefined;
  worker.on('error', (err) => { lastError = err.message; });
  return {
    send: (msg) => worker.postMessage(msg),
    onMessage: (handler) => worker.on('message', handler),
    onExit: (handler) => worker.once('exit', (code) => handler(lastError ? `${lastError} (exit code ${code})` : `exit code ${code}`)),
    kill: () => void worker.terminate(),
  };
}

function childChannel(runnerPath: string, init: RunnerInit): RunnerChannel {
  // Debugger flags would make the child compete for the kernel's inspector port.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--inspect'));
  // In a network namespace: nsenter enters only the network namespace (not `ip netns exec`, whose
  // private /sys mount would hide the cgroup hierarchy from runc) and execs node with the IPC fd.
  const child: ChildProcess = init.netns
    ? spawn('nsenter', [`--net=/var/run/netns/${init.netns}`, '--', process.execPath, ...execArgv, runnerPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
    : fork(runnerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', execArgv });
  let lastError: string | undefined;
  let exitHandler: ((how: string) => void) | undefined;
  child.on('error', (err) => {
    lastError = err.message;
    // A child that could not be spawned emits no 'exit'.
    if (child.pid === undefined) exitHandler?.(`cannot start: ${err.message}`);
  });
  if (child.pid !== undefined) child.send({ type: 'init', init } satisfies ToRunner);
  return {
    send: (msg) => { if (child.connected) child.send(msg); },
    onMessage: (handler) => child.on('message', (m) => handler(m as FromRunner)),
    onExit: (handler) => {
      exitHandler = handler;
      child.once('exit', (code, signal) => handler(lastError ?? (signal ? `killed by ${signal}` : `exit code ${code}`)));
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

let liveRunners = 0;

/** Worker threads and child processes started by this module that have not exited yet. */
export function liveRunnerCount(): number {
  return liveRunners;
}

/**
 * Starts the runner in a worker thread or a child process and resolves once the plugin started.
 * A failed start rejects only after the thread or child is gone, so a restart never overlaps it.
 */
export function launchOutOfProcess(runnerPath: string, init: RunnerInit, onFailure: (err: Error) => void, signal?: AbortSignal): Promise<RunningInstance> {
  const channel = init.placement === 'worker' ? workerChannel(runnerPath, init) : childChannel(runnerPath, init);
  const what = init.placement === 'worker' ? 'worker thread' : 'child process';
  let phase: 'starting' | 'running' | 'stopping' | 'exited' = 'starting';
  let startError: Error | undefined;
  liveRunners++;
  const exited = new Promise<string>((resolve) => channel.onExit((how) => {
    liveRunners--;
    resolve(how);
  }));

  const endWithGrace = async () => {
    const timer = setTimeout(() => channel.kill(), init.stopGraceMs);
    await exited;
    clearTimeout(timer);
  };
  const instance: RunningInstance = {
    stop: async () => {
      if (phase === 'exited') return;
      phase = 'stopping';
      channel.send({ type: 'stop' });
      await endWithGrace();
    },
  };

  const abandonStart = (reason: Error) => {
    if (phase !== 'starting' || startError) return;
    startError = reason;
    channel.send({ type: 'stop' });
    void endWithGrace();
  };
  signal?.addEventListener('abort', () => abandonStart(abortReason(signal)), { once: true });

  return new Promise<RunningInstance>((resolve, reject) => {
    channel.onMessage((msg) => {
      if (msg.type === 'started' && phase === 'starting' && !startError) {
        phase = 'running';
        resolve(instance);
      } else if (msg.type === 'failed' && phase === 'starting') {
        abandonStart(new Error(msg.error));
      } else if (msg.type === 'failed' && phase === 'running') {
        phase = 'stopping';
        onFailure(new Error(msg.error));
      }
    });
    void exited.then((how) => {
      const was = phase;
      phase = 'exited';
      if (was === 'starting') reject(startError ?? new Error(`the ${what} exited before the plugin started: ${how}`));
      else if (was === 'running') onFailure(new Error(`the ${what} exited unexpectedly: ${how}`));
    });
  });
}

/** Waits for `work`, but at most `ms`; `onTimeout` reports the overrun. Errors of `work` propagate. */
export async function withGrace(work: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  const timedOut = Symbol('timed out');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<symbol>((resolve) => { timer = setTimeout(() => resolve(timedOut), ms); });
  try {
    if ((await Promise.race([work, timeout])) === timedOut) onTimeout();
  } finally {
    clearTimeout(timer);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}

/** `work`, or a rejection with the signal's reason as soon as it aborts. */
function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
