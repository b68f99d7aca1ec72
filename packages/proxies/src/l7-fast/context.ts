import type { Socket } from 'node:net';
import type { CloseReason } from '@keepalive-lab/core';
import type { L7Context } from '../l7-kit/l7-base.js';
import type { UpstreamConn } from '../l7-kit/upstream-pool.js';
import type { FastClient } from './client-conn.js';
import type { Answers } from './heads.js';
import type { UpstreamLink } from './upstream-link.js';

/** What l7-fast's connections and exchanges need from the proxy that owns them: the kit's context, and these. */
export interface FastContext extends L7Context {
  readonly answers: Answers;
  /** The HTTP side of a pooled socket, made on its first request. */
  link(socket: Socket, conn: UpstreamConn | null): UpstreamLink;
  clientClosed(client: FastClient, reason: CloseReason): void;
}
