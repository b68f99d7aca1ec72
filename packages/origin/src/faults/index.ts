import type { ResolvedOriginOptions } from '../options.js';
import { closeWindow } from './close-window.js';
import { dropOnReuse } from './drop-on-reuse.js';
import type { Fault } from './fault.js';
import { resetMidResponse } from './reset-mid-response.js';
import { silent } from './silent.js';

export type { Fault, FaultName } from './fault.js';
export { CLOSE_WINDOW_OPEN, closeWindowOnIdle } from './close-window.js';

/**
 * Every knob, in the order they are tried: the first that fires takes the
 * request. closeWindow first: a request in the window dies whatever else is on.
 */
const ALL_FAULTS: readonly Fault[] = [closeWindow, dropOnReuse, resetMidResponse, silent];

/** The knobs switched on, split by stage once at construction; empty lists cost the hot path nothing. */
export interface FaultPlan {
  readonly arrival: readonly Fault[];
  readonly answer: readonly Fault[];
}

export function planFaults(options: Pick<ResolvedOriginOptions, 'faults' | 'closeWindow'>): FaultPlan {
  const on = ALL_FAULTS.filter((f) => (f.name === 'closeWindow' ? options.closeWindow > 0 : options.faults[f.name]));
  return { arrival: on.filter((f) => f.stage === 'arrival'), answer: on.filter((f) => f.stage === 'answer') };
}
