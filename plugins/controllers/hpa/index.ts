// The horizontal pod autoscaler controller plugin (autoscaling/v2 HorizontalPodAutoscalers).
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { HorizontalPodAutoscalerController } from './controller.js';
import { hpaSetup, type HpaOptions } from './setup.js';

const manifest: PluginManifest<HpaOptions> = {
  name: 'hpa-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: hpaSetup,
  plugin: HorizontalPodAutoscalerController,
};

export default manifest;
