import type { Fault } from './fault.js';

/**
 * A hung origin: it reads the request and never answers. The socket stays
 * open until the client gives up or close() destroys it after its grace period.
 */
export const silent: Fault = {
  name: 'silent',
  stage: 'answer',
  fires: () => true,
  apply() {
    // Deliberately nothing: not answering is the fault.
  },
};
