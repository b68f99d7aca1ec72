import type { ServerResponse } from 'node:http';
import type { Connection } from '../connection.js';
import type { OriginFaults } from '../options.js';

/**
 * The per-request knobs (`downFor` and `outageOnCue` act on the listener
 * instead, origin.ts), and `closeWindow`, an origin option whose drop is one.
 */
export type FaultName = Exclude<keyof OriginFaults, 'downFor' | 'outageOnCue'> | 'closeWindow';

/**
 * One fault knob (toxiproxy's toxic). The handler asks `fires` at its stage;
 * when it does, the handler records a `fault` event and `apply` takes the
 * exchange over: the origin then writes nothing for that request.
 *
 *   arrival: the request head is in, its body not yet read
 *   answer:  the body is read (and counted), the answer is due
 */
export interface Fault {
  readonly name: FaultName;
  readonly stage: 'arrival' | 'answer';
  fires(conn: Connection, nth: number): boolean;
  /**
   * Takes over. A fault that ends the socket sets `conn.reason = 'fault'`
   * first (closeWindow: 'idle-timeout', the close it stands for).
   */
  apply(conn: Connection, res: ServerResponse, nth: number, body: string): void;
}
