// Options of the HPA controller: the common controller options plus `syncPeriodSeconds` (how
// often each HPA is looked at, upstream's --horizontal-pod-autoscaler-sync-period, default 15 s).
import type { ControllerOptions } from '../../../kernel/controller/controller.js';
import { PluginConfigError } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';

export interface HpaOptions extends ControllerOptions {
  syncPeriodSeconds: number;
}

const common = controllerSetup({ syncPeriodSeconds: 15 }, 5);

export function hpaSetup(raw: unknown): HpaOptions {
  const options = common(raw);
  if (options.syncPeriodSeconds < 0.1) throw new PluginConfigError('syncPeriodSeconds', `must be a number >= 0.1, got ${options.syncPeriodSeconds}`);
  return options;
}
