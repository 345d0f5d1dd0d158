import t from 'tap';
import { ago, cellsOf, min, object, sec } from './testutil.js';

const running = { running: { startedAt: ago(min(4)) } };
const readyContainer = (name = 'app') => ({ name, ready: true, restartCount: 0, state: running });

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta = {}) {
  return object('web', { spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec }, status }, meta);
}

/** [case, pod, READY, STATUS, RESTARTS] */
const cases: Array<[string, ReturnType<typeof pod>, string, string, string]> = [
  ['running and ready', pod({}, { phase: 'Running', containerStatuses: [readyContainer()] }), '1/1', 'Running', '0'],
  ['pending without statuses', pod({}, { phase: 'Pending' }), '0/1', 'Pending', '0'],
  ['no phase yet counts as pending', pod({}, {}), '0/1', 'Pending', '0'],
  [
    'container creating',
    pod({}, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
    '0/1',
    'ContainerCreating',
    '0',
  ],
  [
    'crash loop with restarts 5m ago',
    pod({}, {
      phase: 'Running',
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(min(5)) } } },
      ],
    }),
    '0/1',
    'CrashLoopBackOff',
    '5 (5m ago)',
  ],
  [
    'restarts without a finish time have no suffix',
    pod({}, { phase: 'Running', containerStatuses: [{ ...readyContainer(), restartCount: 3 }] }),
    '1/1',
    'Running',
    '3',
  ],
  [
    'image pull error',
    pod({}, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }),
    '0/1',
    'ErrImagePull',
    '0',
  ],
  [
    'oom killed',
    pod({}, {
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 1, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } }, lastState: { terminated: { exitCode: 137, finishedAt: ago(sec(90)) } } }],
    }),
    '0/1',
    'OOMKilled',
    '1 (90s ago)',
  ],
  [
    'completed',
    pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
    '0/1',
    'Completed',
    '0',
  ],
  [
    'error',
    pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }] }),
    '0/1',
    'Error',
    '0',
  ],
  [
    'terminated without reason shows the exit code',
    pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }] }),
    '0/1',
    'ExitCode:3',
    '0',
  ],
  [
    'terminated by a signal',
    pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, signal: 9 } } }] }),
    '0/1',
    'Signal:9',
    '0',
  ],
  [
    'status reason wins over phase',
    pod({}, { phase: 'Failed', reason: 'Evicted' }),
    '0/1',
    'Evicted',
    '0',
  ],
  [
    'scheduling gated',
    pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
    '0/1',
    'SchedulingGated',
    '0',
  ],
  [
    'init container running',
    pod({ initContainers: [{ name: 'init' }] }, { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: running }], containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }] }),
    '0/1',
    'Init:0/1',
    '0',
  ],
  [
    'second of two init containers waiting',
    pod(
      { initContainers: [{ name: 'a' }, { name: 'b' }] },
      { phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { name: 'b', state: { waiting: { reason: 'PodInitializing' } } }] },
    ),
    '0/1',
    'Init:1/2',
    '0',
  ],
  [
    'init container failed',
    pod({ initContainers: [{ name: 'init' }] }, { phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 2, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }),
    '0/1',
    'Init:Error',
    '2',
  ],
  [
    'init container failed without reason',
    pod({ initContainers: [{ name: 'init' }] }, { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 4 } } }] }),
    '0/1',
    'Init:ExitCode:4',
    '0',
  ],
  [
    'init container crash looping',
    pod({ initContainers: [{ name: 'init' }] }, { phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }),
    '0/1',
    'Init:CrashLoopBackOff',
    '4',
  ],
  [
    'initialized, main container starting',
    pod(
      { initContainers: [{ name: 'init' }] },
      {
        phase: 'Pending',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'init', restartCount: 1, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
      },
    ),
    '0/1',
    'PodInitializing',
    '0',
  ],
  [
    'terminating',
    pod({}, { phase: 'Running', containerStatuses: [readyContainer()] }, { deletionTimestamp: ago(sec(3)) }),
    '1/1',
    'Terminating',
    '0',
  ],
  [
    'a finished pod being deleted keeps its status',
    pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, { deletionTimestamp: ago(sec(3)) }),
    '0/1',
    'Completed',
    '0',
  ],
  [
    'node lost',
    pod({}, { phase: 'Running', reason: 'NodeLost', containerStatuses: [readyContainer()] }, { deletionTimestamp: ago(sec(3)) }),
    '1/1',
    'Unknown',
    '0',
  ],
  [
    'one container completed, another still running and pod ready',
    pod(
      { containers: [{ name: 'a' }, { name: 'b' }] },
      {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }, readyContainer('b')],
      },
    ),
    '1/2',
    'Running',
    '0',
  ],
  [
    'one container completed, another running but pod not ready',
    pod({ containers: [{ name: 'a' }, { name: 'b' }] }, { phase: 'Running', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }, readyContainer('b')] }),
    '1/2',
    'NotReady',
    '0',
  ],
  [
    'the first container decides the reason',
    pod(
      { containers: [{ name: 'a' }, { name: 'b' }] },
      { phase: 'Pending', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ErrImagePull' } } }, { name: 'b', state: { waiting: { reason: 'ContainerCreating' } } }] },
    ),
    '0/2',
    'ErrImagePull',
    '0',
  ],
  [
    'sidecar init container counts as a container',
    pod(
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [
          { name: 'proxy', ready: true, started: true, restartCount: 2, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(min(3)) } } },
        ],
        containerStatuses: [readyContainer()],
      },
    ),
    '2/2',
    'Running',
    '2 (3m ago)',
  ],
];

t.test('pod READY / STATUS / RESTARTS', async (t) => {
  for (const [name, obj, ready, status, restarts] of cases) {
    const cells = cellsOf('', 'pods', obj);
    t.same(cells.slice(1, 4), [ready, status, restarts], name);
  }
});

t.test('pod name, age and wide cells', async (t) => {
  const obj = pod(
    { nodeName: 'node-1', readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
    {
      phase: 'Running',
      podIP: '10.0.0.9',
      podIPs: [{ ip: '10.0.0.7' }, { ip: 'fd00::7' }],
      nominatedNodeName: 'node-2',
      conditions: [{ type: 'example.com/a', status: 'True' }, { type: 'example.com/b', status: 'False' }],
      containerStatuses: [readyContainer()],
    },
  );
  t.same(cellsOf('', 'pods', obj), ['web', '1/1', 'Running', '0', '5m', '10.0.0.7', 'node-1', 'node-2', '1/2']);
  t.same(cellsOf('', 'pods', pod({}, { phase: 'Pending', podIP: '10.0.0.9' })).slice(5), ['10.0.0.9', '<none>', '<none>', '<none>'], 'podIP fallback and placeholders');
  t.same(cellsOf('', 'pods', pod({}, { phase: 'Pending' })).slice(5, 6), ['<none>']);
});
