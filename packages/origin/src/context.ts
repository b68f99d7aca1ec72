import type { Socket } from 'node:net';
import type { CloseReason, Recorder } from '@keepalive-lab/core';
import type { Connection } from './connection.js';
import type { FaultPlan } from './faults/index.js';
import type { ResolvedOriginOptions } from './options.js';
import type { LabHeaders, ResponseTemplate } from './response.js';

/** Cheap live counters, read by the CLI and tests; plain increments on the hot path. */
export interface OriginCounters {
  connectionsOpened: number;
  connectionsOpen: number;
  /** Requests whose head arrived (faulted ones included). */
  requestsReceived: number;
  /** Responses written in full. */
  requestsAnswered: number;
  /** Fault knobs fired. */
  faults: number;
}

/** What the connection tracker and the request handler share; one per origin. */
export interface OriginContext {
  readonly options: ResolvedOriginOptions;
  readonly recorder: Recorder;
  readonly template: ResponseTemplate;
  readonly faults: FaultPlan;
  readonly counters: OriginCounters;
  /** Socket → its connection; filled on 'connection', before any request on it. */
  readonly connections: WeakMap<Socket, Connection>;
  /** Last connection id handed out: ids are 1, 2, 3… per origin. */
  lastConnId: number;
  /** Set once by close(): responses from then on carry `Connection: close`. */
  closing: boolean;
}

export function newCounters(): OriginCounters {
  return { connectionsOpened: 0, connectionsOpen: 0, requestsReceived: 0, requestsAnswered: 0, faults: 0 };
}

/** True when an event would be kept or heard; otherwise skip building it. */
export const isRecording = (r: Recorder): boolean => r.keep || r.hasListeners;

/** A connection accepted (either protocol): its id, counted, and conn-open recorded. */
export function connectionOpened(ctx: OriginContext, remotePort: number | null): number {
  const id = ++ctx.lastConnId;
  ctx.counters.connectionsOpened++;
  ctx.counters.connectionsOpen++;
  const r = ctx.recorder;
  if (isRecording(r)) r.record({ event: 'conn-open', source: 'origin', t: r.now(), origin: ctx.options.name, conn: id, remotePort });
  return id;
}

/**
 * A request read whole (every engine, either protocol): its `request` event,
 * only when someone records. `lab` is null when nobody did at its head.
 */
export function recordRequest(
  ctx: OriginContext,
  conn: { readonly id: number; readonly remotePort: number | null },
  lab: LabHeaders | null,
  nth: number,
  method: string,
  bytes: number,
): void {
  const r = ctx.recorder;
  if (!isRecording(r)) return;
  r.originRequest(ctx.options.name, lab?.id ?? null, conn.id, conn.remotePort, nth, method, bytes, lab?.hop ?? null);
}

/** Its end at the socket's 'close' (either protocol): counted, and conn-close recorded with the reason decided then. */
export function connectionClosed(
  ctx: OriginContext,
  id: number,
  remotePort: number | null,
  requests: number,
  reason: () => CloseReason,
): void {
  ctx.counters.connectionsOpen--;
  const r = ctx.recorder;
  if (!isRecording(r)) return;
  r.record({
    event: 'conn-close',
    source: 'origin',
    t: r.now(),
    origin: ctx.options.name,
    conn: id,
    remotePort,
    requests,
    reason: reason(),
  });
}
