import type { OriginFaults } from '../options.js';
import { dropOnReuse } from './drop-on-reuse.js';
import type { Fault } from './fault.js';
import { resetMidResponse } from './reset-mid-response.js';
import { silent } from './silent.js';

export type { Fault, FaultName } from './fault.js';

/** Every knob, in the order they are tried: the first that fires takes the request. */
const ALL_FAULTS: readonly Fault[] = [dropOnReuse, resetMidResponse, silent];

/** The knobs switched on, split by stage once at construction; empty lists cost the hot path nothing. */
export interface FaultPlan {
  readonly arrival: readonly Fault[];
  readonly answer: readonly Fault[];
}

export function planFaults(faults: Required<OriginFaults>): FaultPlan {
  const on = ALL_FAULTS.filter((f) => faults[f.name]);
  return { arrival: on.filter((f) => f.stage === 'arrival'), answer: on.filter((f) => f.stage === 'answer') };
}
