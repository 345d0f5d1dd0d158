// Choosing how the OCI runtime binary is invoked (runc, crun; crun on a hybrid cgroup layout) and
// reporting crun's start errors in runc's words. No root needed: the cgroup layout is a temporary
// directory standing in for /sys/fs/cgroup.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { hybridWithV2Controllers, ociRuntime, parseVersion, runcWording } from './oci-runtime.js';
import { startErrorMessage, startFailureCode } from './start-errors.js';

const RUNC_VERSION = 'runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\n';
const CRUN_VERSION = 'crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX\n';

t.test('the binary says what it is', async (t) => {
  t.same(parseVersion(RUNC_VERSION), { flavor: 'runc', version: '1.1.5+ds1' });
  t.same(parseVersion(CRUN_VERSION), { flavor: 'crun', version: '1.8.1' });
  t.same(parseVersion('something else'), { flavor: 'runc', version: 'unknown' }, 'anything else is driven like runc');
});

t.test('crun on a hybrid layout runs without the v2 mount; runc and plain v1 run directly', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kite-oci-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const v1Only = join(root, 'v1');
  mkdirSync(join(v1Only, 'memory'), { recursive: true });
  const emptyV2 = join(root, 'empty-v2');
  mkdirSync(join(emptyV2, 'unified'), { recursive: true });
  writeFileSync(join(emptyV2, 'unified', 'cgroup.controllers'), '\n');
  const hybrid = join(root, 'hybrid');
  mkdirSync(join(hybrid, 'unified'), { recursive: true });
  writeFileSync(join(hybrid, 'unified', 'cgroup.controllers'), 'hugetlb\n');

  t.equal(hybridWithV2Controllers(v1Only), false);
  t.equal(hybridWithV2Controllers(emptyV2), false, 'a v2 mount without controllers is accepted by crun');
  t.equal(hybridWithV2Controllers(hybrid), true);

  const runc = ociRuntime('/usr/sbin/runc', RUNC_VERSION, hybrid);
  t.same(runc.command, ['/usr/sbin/runc'], 'runc handles the hybrid layout itself');
  t.equal(runc.version, 'runc://1.1.5+ds1');
  t.equal(runc.hide, undefined);

  const plain = ociRuntime('/usr/bin/crun', CRUN_VERSION, v1Only);
  t.same(plain.command, ['/usr/bin/crun']);
  t.equal(plain.version, 'crun://1.8.1');

  const wrapped = ociRuntime('/usr/bin/crun', CRUN_VERSION, hybrid);
  t.equal(wrapped.hide, join(hybrid, 'unified'), 'the supervisor hides the v2 mount in its own namespace');
  t.equal(wrapped.binary, '/usr/bin/crun');
  t.match(wrapped.command.join(' '), /unshare -m --propagation private .* sh -c umount "\$0" && exec "\$@"/, 'a private mount namespace');
  t.same(wrapped.command.slice(-2), [join(hybrid, 'unified'), '/usr/bin/crun'], 'unmounts the v2 mount, then runs crun with the arguments that follow');
});

t.test("crun's complaints in runc's words", async (t) => {
  t.equal(runcWording('executable file `no-such-binary` not found in $PATH: No such file or directory'), 'exec: "no-such-binary": executable file not found in $PATH');
  t.equal(runcWording('exec: "x": executable file not found in $PATH'), 'exec: "x": executable file not found in $PATH', "runc's own stays");
  const bundle = mkdtempSync(join(tmpdir(), 'kite-oci-log-'));
  t.teardown(() => rmSync(bundle, { recursive: true, force: true }));
  writeFileSync(join(bundle, 'runc.log'), 'executable file `no-such-binary` not found in $PATH: No such file or directory\n');
  t.match(await startErrorMessage(bundle), /runc create failed: exec: "no-such-binary": executable file not found in \$PATH: unknown$/, 'a StartError as with runc (crun text log)');
  writeFileSync(join(bundle, 'runc.log'), '{"msg":"executable file `nope` not found in $PATH: No such file or directory","level":"error","time":"2026-11-23T21:51:13.885058Z"}\n');
  t.match(await startErrorMessage(bundle), /exec: "nope": executable file not found in \$PATH/, 'crun JSON log');
  t.equal(startFailureCode(255, 'executable file `nosuch` not found in $PATH: No such file or directory'), 127, 'crun exec of a missing command: 127');
  t.equal(startFailureCode(255, 'exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH'), 127, 'runc: 127');
  t.equal(startFailureCode(255, 'open executable: Permission denied'), 126, 'not executable: 126');
  t.equal(startFailureCode(3, 'whatever'), 3, "the command's own exit code");
});
