// Node-directed streams of the API server, for RestDeps.subresourceHandlers: each finds the pod's
// node and talks to its agent over the bus (subjects.node(nodeName, call)).
import type { SubresourceHandler } from '../rest/deps.js';
import { podAttachHandler } from './attach.js';
import { podExecHandler } from './exec.js';
import { podLogHandler } from './logs.js';
import { podPortForwardHandler } from './portforward.js';
import { nodeProxyHandler, podProxyHandler, serviceProxyHandler } from './proxy.js';

export { nodeProxyHandler, podAttachHandler, podExecHandler, podLogHandler, podPortForwardHandler, podProxyHandler, serviceProxyHandler };
export * from './protocol.js';

export const nodeStreamHandlers: Record<string, SubresourceHandler> = {
  'pods/log': podLogHandler,
  'pods/exec': podExecHandler,
  'pods/attach': podAttachHandler,
  'pods/portforward': podPortForwardHandler,
  'pods/proxy': podProxyHandler,
  'nodes/proxy': nodeProxyHandler,
  'services/proxy': serviceProxyHandler,
};
