// Printer for policy/v1 PodDisruptionBudgets (`kubectl get pdb`), columns as upstream.
import type { PodDisruptionBudget } from '../../objects/pdb.js';
import { simplePrinter } from './core.js';
import { col } from './types.js';

export const podDisruptionBudgetPrinter = simplePrinter<PodDisruptionBudget>(
  [
    col('Min Available', 'string', 0, 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 0, 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 0, 'Calculated number of pods that may be disrupted at this time.'),
  ],
  (pdb) => {
    const shown = (v: number | string | undefined | null) => (v === undefined || v === null ? 'N/A' : String(v));
    return [shown(pdb.spec?.minAvailable), shown(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0];
  },
);
