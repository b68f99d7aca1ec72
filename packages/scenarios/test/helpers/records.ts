import type { ClientRecord, LabEvent } from '@keepalive-lab/core';

/** What the client saw of a request, with nothing the origin stamped: joinRecords must find that in the events. */
export const clientRecord = (
  r: Pick<ClientRecord, 'id' | 'start' | 'end' | 'status' | 'error' | 'clientPort' | 'reused'>,
): ClientRecord => ({
  ...r,
  originPort: null,
  origin: null,
  originConn: null,
  nthOnConn: null,
});

/** The origin's event for request `id`, the `nth` on its connection `conn` from `remotePort`. */
export const originRequest = (id: string, remotePort: number, conn: number, nth: number, origin = 'origin'): LabEvent => ({
  event: 'request',
  source: 'origin',
  t: 0,
  origin,
  id,
  conn,
  remotePort,
  nth,
  method: 'GET',
  bytes: 0,
});
