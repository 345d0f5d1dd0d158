import 'reflect-metadata';
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { NatsBus } from '../bus/nats-bus.js';
import { subjects } from '../bus/types.js';
import { createLogger } from '../log.js';
import { startTestNats } from '../testing/nats.js';
import { loadKernelConfiguration, type KernelConfiguration } from './config.js';
import { PluginHost, type PluginHostOptions, type PluginInstanceStatus } from './host.js';
import { liveRunnerCount } from './placement.js';
import { formatPluginTable } from './table.js';
import { LIFECYCLE_SUBJECT, type LifecycleEvent } from './fixtures/lifecycle.js';
import type { EchoReply } from '../../plugins/example/echo.js';

const here = dirname(fileURLToPath(import.meta.url));
const examplePath = join(here, '..', '..', 'plugins', 'example', 'index.js');
const fixturePath = (name: string) => join(here, 'fixtures', `${name}.js`);

/** Polls `check` until it returns true; fails the wait with `what` after the deadline. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function metricValue(registry: Registry, name: string, plugin: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((v) => v.labels.plugin === plugin && !('le' in v.labels))?.value;
}

t.test('plugin host over a real nats-server', async (t) => {
  const nats = await startTestNats(t);
  const bus = new NatsBus(await nats.connect());
  const dir = mkdtempSync(join(tmpdir(), 'kite-plugins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logLines: string[] = [];
  const logger = createLogger({}, 'info', (line) => logLines.push(line));

  /** Writes kite.yaml into its own directory (modules are given relative to it) and loads it. */
  let configCount = 0;
  const writeConfig = (pluginsYaml: string): KernelConfiguration => {
    const configDir = join(dir, `config-${configCount++}`);
    const path = join(configDir, 'kite.yaml');
    mkdirSync(configDir);
    writeFileSync(path, `apiVersion: kite.dev/v1alpha1\nkind: KernelConfiguration\nplugins:\n${pluginsYaml}`);
    return loadKernelConfiguration(path);
  };
  const rel = (configIndex: number, target: string) => `./${relative(join(dir, `config-${configIndex}`), target)}`;

  const newHost = (config: KernelConfiguration, extra: Partial<PluginHostOptions> = {}) => {
    const host = new PluginHost({
      config,
      bus,
      metrics: new Registry(),
      logger,
      natsServers: [nats.url],
      dataDir: dir,
      backoff: { initialMs: 50, maxMs: 400 },
      stopGraceMs: 3000,
      ...extra,
    });
    t.teardown(() => host.stop());
    return host;
  };
  const echo = async (name: string, text: string) => (await bus.request(`kite.example.${name}.echo`, text, { timeoutMs: 3000 })).json<EchoReply>();
  const statusOf = (host: PluginHost, name: string) => host.statuses().find((s) => s.name === name) as PluginInstanceStatus;

  await t.test('the example plugin, loaded from a path, answers in all three placements', async (t) => {
    const i = configCount;
    const config = writeConfig(`
  - { name: ex-inproc, module: ${rel(i, examplePath)}, options: { greeting: hello } }
  - { name: ex-worker, module: ${rel(i, examplePath)}, placement: worker, options: { greeting: hej } }
  - { name: ex-process, module: ${rel(i, examplePath)}, placement: process, options: { greeting: hola } }
`);
    t.equal(config.plugins[0].module.startsWith('./'), true, 'the module is a relative path');
    const metrics = new Registry();
    const host = newHost(config, { metrics });
    await host.start();
    t.same(host.statuses().map((s) => [s.name, s.plugin, s.kind, s.placement, s.state]), [
      ['ex-inproc', 'example', 'Example', 'inProcess', 'running'],
      ['ex-worker', 'example', 'Example', 'worker', 'running'],
      ['ex-process', 'example', 'Example', 'process', 'running'],
    ]);

    const inproc = await echo('ex-inproc', 'one');
    const worker = await echo('ex-worker', 'two');
    const child = await echo('ex-process', 'three');
    t.same(inproc, { greeting: 'hello', text: 'one', placement: 'inProcess', pid: process.pid, threadId: 0 });
    t.match(worker, { greeting: 'hej', text: 'two', placement: 'worker', pid: process.pid });
    t.not(worker.threadId, 0, 'the worker answers from another thread');
    t.match(child, { greeting: 'hola', text: 'three', placement: 'process', threadId: 0 });
    t.not(child.pid, process.pid, 'the process placement answers from another process');
    t.ok(isAlive(child.pid));
    t.equal(liveRunnerCount(), 2);

    t.equal(await metricValue(metrics, 'kite_example_requests_total', 'ex-inproc'), 1, 'the in-process plugin counts on the injected registry');
    t.equal(await metricValue(metrics, 'kite_plugin_up', 'ex-process'), 1);
    t.ok(((await metricValue(metrics, 'kite_plugin_start_duration_seconds', 'ex-worker')) ?? 0) > 0, 'start duration observed');

    const served = (await bus.request(subjects.kernelPlugins, undefined, { timeoutMs: 3000 })).json<PluginInstanceStatus[]>();
    t.same(served.map((s) => s.name), ['ex-inproc', 'ex-worker', 'ex-process'], 'statuses are served on the bus');
    t.match(formatPluginTable(served), /^NAME\s+KIND\s+VERSION\s+PLACEMENT\s+STATE\s+RESTARTS\s+AGE\s+LAST-ERROR\nex-inproc\s+Example\s+0\.1\.0\s+inProcess\s+running\s+0\s+\d+s\s+<none>\n/);

    await host.stop();
    t.same(host.statuses().map((s) => s.state), ['stopped', 'stopped', 'stopped']);
    t.equal(liveRunnerCount(), 0, 'no worker thread or child process is left');
    t.notOk(isAlive(child.pid), 'the child process is gone');
    for (const name of ['ex-inproc', 'ex-worker', 'ex-process']) {
      await t.rejects(echo(name, 'x'), /no responder/, `${name} no longer answers`);
    }
    await t.rejects(bus.request(subjects.kernelPlugins, undefined, { timeoutMs: 1000 }), /no responder/);
    t.equal(await metricValue(metrics, 'kite_plugin_up', 'ex-inproc'), 0);
  });

  await t.test('a failing plugin is restarted with backoff and does not affect the others', async (t) => {
    const i = configCount;
    const metrics = new Registry();
    const config = writeConfig(`
  - { name: broken, module: ${rel(i, examplePath)}, options: { greeting: x, failStart: true } }
  - { name: broken-worker, module: ${rel(i, examplePath)}, placement: worker, options: { greeting: x, failStart: true } }
  - { name: flaky, module: ${rel(i, fixturePath('lifecycle'))}, options: { failStarts: 2 } }
  - { name: quitter, module: ${rel(i, fixturePath('lifecycle'))}, options: { failAfterMs: 100 } }
  - { name: quitter-worker, module: ${rel(i, fixturePath('lifecycle'))}, placement: worker, options: { failAfterMs: 100 } }
  - { name: crasher, module: ${rel(i, examplePath)}, placement: process, options: { greeting: again } }
  - { name: healthy, module: ${rel(i, examplePath)}, options: { greeting: fine } }
`);
    const host = newHost(config, { metrics });
    await host.start();
    t.equal(statusOf(host, 'healthy').state, 'running');
    t.match(await echo('healthy', 'still here'), { greeting: 'fine', text: 'still here' });

    await until('broken and broken-worker to be restarted twice', () => statusOf(host, 'broken').restarts >= 2 && statusOf(host, 'broken-worker').restarts >= 2);
    t.match(statusOf(host, 'broken'), { lastError: 'failStart is set: refusing to start' });
    t.match(statusOf(host, 'broken-worker'), { lastError: 'failStart is set: refusing to start' }, 'the error crosses the thread boundary');
    t.not(statusOf(host, 'broken').state, 'running');
    t.equal(await metricValue(metrics, 'kite_plugin_up', 'broken'), 0);
    t.ok(((await metricValue(metrics, 'kite_plugin_restarts_total', 'broken')) ?? 0) >= 2);
    t.ok(logLines.some((l) => l.includes('"msg":"plugin failed to start"') && l.includes('"plugin":"broken"')), 'the failure is logged with the plugin name');

    await until('flaky to run after two failed starts', () => statusOf(host, 'flaky').state === 'running');
    t.match(statusOf(host, 'flaky'), { restarts: 2, lastError: 'start attempt 2 fails on purpose' });

    await until('quitters to be restarted after reporting a failure', () => statusOf(host, 'quitter').restarts >= 1 && statusOf(host, 'quitter-worker').restarts >= 1);
    t.match(statusOf(host, 'quitter'), { lastError: 'failing after start on purpose' });
    t.match(statusOf(host, 'quitter-worker'), { lastError: 'failing after start on purpose' });

    const firstPid = (await echo('crasher', 'a')).pid;
    process.kill(firstPid, 'SIGKILL');
    await until('crasher to come back', () => statusOf(host, 'crasher').restarts === 1 && statusOf(host, 'crasher').state === 'running');
    t.match(statusOf(host, 'crasher').lastError, /child process exited unexpectedly: killed by SIGKILL/);
    const secondPid = (await echo('crasher', 'b')).pid;
    t.not(secondPid, firstPid, 'a new child process answers');

    t.match(await echo('healthy', 'through it all'), { greeting: 'fine' });
    t.equal(statusOf(host, 'healthy').restarts, 0);
    await host.stop();
    t.equal(liveRunnerCount(), 0);
    t.notOk(isAlive(secondPid));
    const restartsAtStop = statusOf(host, 'broken').restarts;
    await new Promise((r) => setTimeout(r, 500));
    t.equal(statusOf(host, 'broken').restarts, restartsAtStop, 'no restart after stop');
    t.equal(statusOf(host, 'broken').state, 'stopped');
  });

  await t.test('a start that hangs times out, and stop() does not wait for it', async (t) => {
    const i = configCount;
    const config = writeConfig(`
  - { name: slow, module: ${rel(i, fixturePath('lifecycle'))}, options: { startDelayMs: 600000 } }
  - { name: slow-worker, module: ${rel(i, fixturePath('lifecycle'))}, placement: worker, options: { startDelayMs: 600000 } }
`);
    const host = newHost(config, { startTimeoutMs: 300 });
    await host.start();
    await until('both slow plugins to be restarted', () => statusOf(host, 'slow').restarts >= 1 && statusOf(host, 'slow-worker').restarts >= 1);
    t.match(statusOf(host, 'slow'), { lastError: 'start did not finish within 0.3 s' });
    t.match(statusOf(host, 'slow-worker'), { lastError: 'start did not finish within 0.3 s' });
    await host.stop();
    t.same(host.statuses().map((s) => s.state), ['stopped', 'stopped']);
    t.equal(liveRunnerCount(), 0);

    const hanging = newHost(writeConfig(`  - { name: hanging, module: ${rel(configCount, fixturePath('lifecycle'))}, placement: process, options: { startDelayMs: 600000 } }\n`));
    const started = hanging.start();
    await until('hanging to be starting', () => hanging.statuses()[0]?.state === 'starting' && liveRunnerCount() === 1);
    await hanging.stop();
    await started;
    t.equal(hanging.statuses()[0].state, 'stopped');
    t.equal(hanging.statuses()[0].restarts, 0, 'stopping is not a failure');
    t.equal(liveRunnerCount(), 0, 'the child of the hanging start is gone');
  });

  await t.test('dependencies start first and stop last, across placements', async (t) => {
    const events: string[] = [];
    const sub = bus.subscribe(LIFECYCLE_SUBJECT, (m) => {
      const e = m.json<LifecycleEvent>();
      events.push(`${e.name} ${e.event}`);
    });
    t.teardown(() => sub.unsubscribe());
    await bus.flush();
    const i = configCount;
    const config = writeConfig(`
  - { name: dependent, module: ${rel(i, fixturePath('dependent'))}, options: { stopDelayMs: 300 } }
  - { name: lifecycle, module: ${rel(i, fixturePath('lifecycle'))}, placement: worker, options: { startDelayMs: 200 } }
`);
    const host = newHost(config);
    await host.start();
    t.same(host.statuses().map((s) => [s.name, s.dependencies]), [['lifecycle', []], ['dependent', ['lifecycle']]]);
    await until('both start events', () => events.length >= 2);
    await host.stop();
    await until('both stop events', () => events.length >= 4);
    t.same(events, ['lifecycle start', 'dependent start', 'dependent stop', 'lifecycle stop']);
  });

  await t.test('bad metadata and options are refused before anything starts', async (t) => {
    const refusal = async (pluginsYaml: string): Promise<string> => {
      const host = newHost(writeConfig(pluginsYaml));
      try {
        await host.start();
      } catch (err) {
        t.same(host.statuses(), [], 'nothing was started');
        return (err as Error).message;
      }
      throw new Error('the configuration was accepted');
    };
    let i = configCount;
    t.equal(
      await refusal(`  - { name: dependent, module: ${rel(i, fixturePath('dependent'))} }\n`),
      'plugin "dependent" depends on "lifecycle", which is not enabled in ' + join(dir, `config-${i}`, 'kite.yaml'),
    );
    i = configCount;
    t.match(
      await refusal(`  - { name: dependent, module: ${rel(i, fixturePath('dependent'))} }\n  - { name: lifecycle, module: ${rel(i, fixturePath('lifecycle'))}, enabled: false }\n`),
      /^plugin "dependent" depends on "lifecycle", which is not enabled in .*kite\.yaml$/,
    );
    i = configCount;
    t.match(
      await refusal(`  - { name: cycle-a, module: ${rel(i, fixturePath('cycle-a'))} }\n  - { name: cycle-b, module: ${rel(i, fixturePath('cycle-b'))} }\n`),
      /^plugins depend on each other in a cycle: cycle-a → cycle-b → cycle-a /,
    );
    i = configCount;
    t.match(
      await refusal(`  - { name: future, module: ${rel(i, fixturePath('future-api'))} }\n`),
      /kite\.yaml: plugins\[0\] \("future"\): module ".*future-api\.js": plugin "future-api" needs kernel API 2\.0, but this kernel provides 1\.0/,
    );
    i = configCount;
    t.match(
      await refusal(`  - { name: example, module: ${rel(i, examplePath)}, options: { greeting: "" } }\n`),
      /kite\.yaml: plugins\[0\] \("example"\): options\.greeting: must be a non-empty string$/,
    );
    i = configCount;
    t.match(
      await refusal(`  - { name: example, module: ${rel(i, examplePath)}, options: { greeting: hi, colour: blue } }\n`),
      /kite\.yaml: plugins\[0\] \("example"\): options\.colour: unknown option/,
    );
    i = configCount;
    t.match(await refusal(`  - { name: nowhere, module: ./no/such/plugin.js }\n`), /kite\.yaml: plugins\[0\] \("nowhere"\): module: cannot load "\.\/no\/such\/plugin\.js"/);
    i = configCount;
    t.match(await refusal(`  - { name: not-a-plugin, module: ${rel(i, join(here, 'table.js'))} }\n`), /does not export a plugin manifest/);
  });
});
