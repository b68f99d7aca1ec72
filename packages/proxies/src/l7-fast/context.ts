import type { Socket } from 'node:net';
import type { CloseReason } from '@keepalive-lab/core';
import type { Balancer } from '../l7/balancer.js';
import type { Target } from '../l7/exchange.js';
import type { ResolvedL7Options } from '../l7/options.js';
import type { UpstreamConn } from '../l7/upstream-pool.js';
import type { FastClient } from './client-conn.js';
import type { FastExchange } from './exchange.js';
import type { Answers } from './heads.js';
import type { UpstreamLink } from './upstream-link.js';

/** What l7-fast's connections and exchanges need from the proxy that owns them. */
export interface FastContext {
  readonly options: ResolvedL7Options;
  /** `1.1 <name>`. */
  readonly via: string;
  readonly targets: Target[];
  readonly balancer: Balancer;
  readonly closing: boolean;
  readonly answers: Answers;
  /** The HTTP side of a pooled socket, made on its first request. */
  link(socket: Socket): UpstreamLink;
  countRetry(): void;
  recordForward(ex: FastExchange, conn: UpstreamConn | null, reused: boolean): void;
  recordReject(client: FastClient, id: string | null, status: number, why: string): void;
  clientClosed(client: FastClient, reason: CloseReason): void;
}
