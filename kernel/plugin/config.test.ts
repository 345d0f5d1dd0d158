import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  builtinModulePath,
  defaultKernelConfiguration,
  KernelConfigError,
  kernelConfigurationFromObject,
  loadKernelConfiguration,
  parseKernelConfiguration,
} from './config.js';
import { backoffDelay } from './host.js';
import { kernelApiCompatible } from './load.js';
import { formatPluginTable, humanDuration } from './table.js';
import type { PluginStatus } from './types.js';

const buildRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const header = 'apiVersion: kite.dev/v1alpha1\nkind: KernelConfiguration\n';

function refusal(text: string): string {
  try {
    parseKernelConfiguration(text, { source: 'kite.yaml', baseDir: '/etc/kite' });
  } catch (err) {
    if (err instanceof KernelConfigError) return err.message;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

t.test('a valid file: defaults, module resolution', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kite.yaml');
  writeFileSync(path, `${header}plugins:
  - name: example
    module: builtin:example
    options: { greeting: hi }
  - name: mine
    module: ./vendor/plugin.js
    placement: worker
    enabled: false
  - name: packaged
    module: kite-plugin-that-is-not-installed
    placement: process
`);
  const config = loadKernelConfiguration(path);
  t.equal(config.source, path);
  t.equal(config.plugins.length, 3);
  const [example, mine, packaged] = config.plugins;
  t.match(example, { name: 'example', placement: 'inProcess', enabled: true, options: { greeting: 'hi' }, index: 0 });
  t.equal(example.resolvedModule, join(buildRoot, 'plugins', 'example', 'index.js'), 'builtin: is the compiled plugin beside this build');
  t.equal(builtinModulePath('dns'), join(buildRoot, 'plugins', 'dns', 'index.js'));
  t.match(mine, { placement: 'worker', enabled: false, resolvedModule: join(dir, 'vendor', 'plugin.js') });
  t.equal(packaged.resolvedModule, 'kite-plugin-that-is-not-installed', 'an unresolvable package name is left to import()');

  const builtins = defaultKernelConfiguration().plugins;
  t.ok(builtins.some((p) => p.name === 'replicaset-controller') && builtins.some((p) => p.name === 'node-agent'));
  for (const p of builtins) t.ok(existsSync(p.resolvedModule), `built-in ${p.module} resolves to a compiled module`);
  t.equal(kernelConfigurationFromObject({ apiVersion: 'kite.dev/v1alpha1', kind: 'KernelConfiguration' }).plugins.length, 0);
});

t.test('bad files are refused naming the file, the entry and the key', async (t) => {
  t.match(refusal(`${header}plugins:\n  - name: a\n   module: x\n`), /^kite\.yaml: line 5: invalid YAML: bad indentation/);
  t.equal(
    refusal(`${header}plugins:\n  - { name: example, module: builtin:example }\n  - { name: scheduler, module: builtin:scheduler, placement: thread }\n`),
    'kite.yaml: plugins[1] ("scheduler"): placement: must be one of inProcess, worker, process, got "thread"',
  );
  t.equal(refusal(`${header}plugin: []\n`), 'kite.yaml: plugin: unknown field (allowed: apiVersion, kind, plugins)');
  t.equal(
    refusal(`${header}plugins:\n  - { name: example, module: builtin:example, option: {} }\n`),
    'kite.yaml: plugins[0] ("example"): option: unknown field (allowed: name, module, placement, enabled, options, netns)',
  );
  t.equal(
    refusal(`${header}plugins:\n  - { name: example, module: builtin:example, netns: n1 }\n`),
    'kite.yaml: plugins[0] ("example"): netns: must be a network namespace name, and needs placement: process',
  );
  t.equal(
    refusal(`${header}plugins:\n  - { name: example, module: a.js }\n  - { name: other, module: b.js }\n  - { name: example, module: c.js }\n`),
    'kite.yaml: plugins[2] ("example"): name: duplicates plugins[0]; entry names must be unique',
  );
  t.match(refusal(`${header}plugins:\n  - { name: Example_1, module: a.js }\n`), /^kite\.yaml: plugins\[0\] \("Example_1"\): name: must be lowercase/);
  t.equal(refusal(`${header}plugins:\n  - { name: example }\n`), 'kite.yaml: plugins[0] ("example"): module: must be a non-empty string (builtin:<name>, a relative path or a package name), got nothing');
  t.equal(refusal(`${header}plugins:\n  - { name: example, module: a.js, enabled: "yes" }\n`), 'kite.yaml: plugins[0] ("example"): enabled: must be true or false, got "yes"');
  t.equal(refusal(`${header}plugins:\n  - just-a-name\n`), 'kite.yaml: plugins[0]: must be a mapping with name and module, got "just-a-name"');
  t.equal(refusal('apiVersion: v1\nkind: KernelConfiguration\n'), 'kite.yaml: apiVersion: must be "kite.dev/v1alpha1", got "v1"');
  t.equal(refusal('apiVersion: kite.dev/v1alpha1\nkind: Config\n'), 'kite.yaml: kind: must be "KernelConfiguration", got "Config"');
  t.throws(() => loadKernelConfiguration('/nonexistent/kite.yaml'), /^\/nonexistent\/kite\.yaml: cannot read the kernel configuration/);
  t.match(refusal('- 1\n'), /^kite\.yaml: must be a KernelConfiguration mapping, got a list/);
});

t.test('kernel API compatibility: same major, minor at most the kernel\'s', async (t) => {
  t.ok(kernelApiCompatible('1.0', '1.0'));
  t.ok(kernelApiCompatible('1.0', '1.3'));
  t.notOk(kernelApiCompatible('1.4', '1.3'));
  t.notOk(kernelApiCompatible('2.0', '1.0'));
  t.notOk(kernelApiCompatible('0.9', '1.0'));
  t.notOk(kernelApiCompatible('1', '1.0'));
});

t.test('restart backoff doubles up to the maximum', async (t) => {
  const defaults = { initialMs: 1000, maxMs: 30_000 };
  t.same([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n, defaults)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

t.test('plugin table', async (t) => {
  const now = new Date('2026-11-23T12:00:00Z');
  const statuses: PluginStatus[] = [
    { name: 'example', kind: 'Example', version: '0.1.0', module: 'builtin:example', placement: 'inProcess', state: 'running', restarts: 0, since: '2026-11-23T11:59:15Z' },
    { name: 'flaky-scheduler', kind: 'Scheduler', version: '1.2.3', module: './s.js', placement: 'worker', state: 'backoff', restarts: 12, lastError: 'boom\nat line 2', since: '2026-11-23T09:00:00Z' },
  ];
  const lines = formatPluginTable(statuses, now).trimEnd().split('\n');
  t.equal(lines.length, 3);
  t.match(lines[0], /^NAME\s+KIND\s+VERSION\s+PLACEMENT\s+STATE\s+RESTARTS\s+AGE\s+LAST-ERROR$/);
  t.match(lines[1], /^example\s+Example\s+0\.1\.0\s+inProcess\s+running\s+0\s+45s\s+<none>$/);
  t.match(lines[2], /^flaky-scheduler\s+Scheduler\s+1\.2\.3\s+worker\s+backoff\s+12\s+3h\s+boom at line 2$/);
  t.equal(lines[0].indexOf('KIND'), lines[2].indexOf('Scheduler'), 'columns line up');
  t.same(['0s', '119s', '2m', '5m10s', '42m', '3h20m', '20h', '3d4h', '40d', '2y10d', '9y'], [
    -5, 119, 120, 310, 42 * 60, 200 * 60, 20 * 3600, 76 * 3600, 40 * 86400, 740 * 86400, 9 * 366 * 86400,
  ].map((s) => humanDuration(s * 1000)));
});
