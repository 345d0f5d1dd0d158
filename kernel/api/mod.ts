// The API server assembled: HTTP layer + REST handlers + patch, printers and schemas.
import type { ResourceRegistry } from '../objects/registry.js';
import { openApiV3Documents, unknownFields } from '../objects/schema/mod.js';
import type { Logger } from '../log.js';
import type { KernelServices } from '../services.js';
import { startApiServer, type ApiServer } from './http/server.js';
import { applyPatch, recordUpdate, serverSideApply } from './patch/mod.js';
import { toTable } from './printers/mod.js';
import { createRestHandler, type SubresourceHandler } from './rest/mod.js';
import { addMetricsResources, withMetricsApi } from './metrics-api/handler.js';
import { withVersionConversion } from './versions/handler.js';

export interface CreateApiServerOptions {
  dataDir: string;
  host?: string;
  port?: number;
  registry: ResourceRegistry;
  services: KernelServices;
  logger: Logger;
  ready: () => boolean;
  /** Streaming subresources served by other parts (pods/log, pods/exec, ...), keyed `<resource>/<sub>`. */
  subresourceHandlers?: Record<string, SubresourceHandler>;
}

export async function createApiServer(opts: CreateApiServerOptions): Promise<ApiServer> {
  // metrics.k8s.io (kubectl top) is answered from the node agents, not the store.
  addMetricsResources(opts.registry);
  // autoscaling/v1 HPAs are converted to and from the stored autoscaling/v2 (kernel/api/versions).
  const rest = withVersionConversion(withMetricsApi(createRestHandler({
    store: opts.services.store,
    registry: opts.registry,
    patch: { applyPatch, serverSideApply, recordUpdate },
    toTable,
    unknownFields,
    logger: opts.logger,
    bus: opts.services.bus,
    subresourceHandlers: opts.subresourceHandlers,
  }), { store: opts.services.store, bus: opts.services.bus, registry: opts.registry, logger: opts.logger }));
  let docs: Map<string, unknown> | undefined;
  return startApiServer({
    dataDir: opts.dataDir,
    host: opts.host,
    port: opts.port,
    registry: opts.registry,
    rest,
    metrics: opts.services.metrics,
    logger: opts.logger,
    ready: opts.ready,
    notReadyReason: () => 'plugins are starting',
    openapi: { v3: () => (docs ??= openApiV3Documents(opts.registry).documents) },
  });
}
