// Runs one plugin in a worker thread or a child process. It receives what to load (workerData,
// or the first IPC message), connects to NATS itself, loads the plugin exactly as the host does
// in-process, and answers the control protocol: started / failed(error) / stop → stopped.
import 'reflect-metadata';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { NatsBus } from '../bus/nats-bus.js';
import { createLogger } from '../log.js';
import { connectKernelServices, connectNats, createProcessRegistry, type KernelServices } from '../services.js';
import { errorMessage, importManifest, unavailableStore, validateOptions } from './load.js';
import { launchInProcess, type FromRunner, type RunnerInit, type RunningInstance, type ToRunner } from './placement.js';

interface HostLink {
  send(msg: FromRunner): Promise<void>;
  onMessage(handler: (msg: ToRunner) => void): void;
  /** Called when the host is gone (child process only: the IPC channel closed). */
  onHostGone(handler: () => void): void;
}

function workerLink(): HostLink {
  const port = parentPort!;
  return {
    send: async (msg) => port.postMessage(msg),
    onMessage: (handler) => port.on('message', handler),
    onHostGone: () => undefined,
  };
}

function processLink(): HostLink {
  return {
    send: (msg) => new Promise((resolve) => {
      if (!process.connected) return resolve();
      process.send!(msg, undefined, {}, () => resolve());
    }),
    onMessage: (handler) => process.on('message', (m) => handler(m as ToRunner)),
    onHostGone: (handler) => process.once('disconnect', handler),
  };
}

/**
 * The kernel services for this thread or process. While a module the object store needs is not
 * built (a partial build during development), plugins here get the bus and a store answering 503.
 */
async function connectServices(init: RunnerInit): Promise<KernelServices> {
  const name = `plugin:${init.name}`;
  const logger = createLogger({ component: name, placement: init.placement });
  try {
    return await connectKernelServices({ natsServers: init.natsServers, name, logger });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    logger.warn('object store unavailable in this placement: a kernel module is missing', { error: errorMessage(err) });
  }
  const nc = await connectNats(init.natsServers, name);
  const store = unavailableStore('a kernel module it needs is not built');
  return {
    nc,
    bus: new NatsBus(nc),
    store,
    metrics: createProcessRegistry(),
    logger,
    close: async () => { await nc.drain().catch(() => undefined); },
  };
}

async function run(init: RunnerInit, link: HostLink): Promise<void> {
  let services: KernelServices | undefined;
  let instance: RunningInstance | undefined;
  const startAbort = new AbortController();
  let finishing: Promise<void> | undefined;

  // Stop once: the plugin, then the connection; then leave (a worker's exit ends only its thread).
  const finish = (code: number, report?: FromRunner) => {
    finishing ??= (async () => {
      await instance?.stop().catch((err: unknown) => services?.logger.warn('plugin stop() threw', { error: errorMessage(err) }));
      await services?.close().catch(() => undefined);
      if (report) await link.send(report);
      process.exit(code);
    })();
    return finishing;
  };
  link.onMessage((msg) => {
    if (msg.type !== 'stop') return;
    if (instance) void finish(0, { type: 'stopped' });
    else startAbort.abort(new Error('stopped by the plugin host while starting'));
  });
  link.onHostGone(() => {
    if (instance) void finish(0);
    else startAbort.abort(new Error('the plugin host is gone'));
  });

  try {
    services = await connectServices(init);
    const manifest = await importManifest(init.resolvedModule, init.describeEntry, init.module);
    const options = validateOptions(manifest, init.options, init.describeEntry);
    startAbort.signal.throwIfAborted();
    instance = await launchInProcess(
      { ...init, manifest, options, services, logger: services.logger },
      (err) => void link.send({ type: 'failed', phase: 'run', error: err.message }),
      startAbort.signal,
    );
  } catch (err) {
    await link.send({ type: 'failed', phase: 'start', error: errorMessage(err) });
    await finish(1);
    return;
  }
  if (startAbort.signal.aborted) await finish(0, { type: 'stopped' });
  else await link.send({ type: 'started' });
}

if (!isMainThread && parentPort) {
  void run(workerData as RunnerInit, workerLink());
} else if (process.send) {
  const link = processLink();
  process.once('message', (msg: ToRunner) => {
    if (msg.type === 'init') void run(msg.init, link);
  });
} else {
  process.stderr.write('kernel/plugin/runner.js is started by the plugin host (worker or process placement), not by hand\n');
  process.exitCode = 2;
}
