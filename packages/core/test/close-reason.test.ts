import { describe, expect, test } from 'vitest';
import { closeReason, type CloseFacts, type CloseReason } from '../src/index.js';

/**
 * The one rule for a close reason, fact by fact. The same rule seen over real
 * sockets from every component: packages/proxies/test/close-reason-peers.test.ts.
 */
describe('closeReason', () => {
  const cases: Array<[string, CloseFacts, CloseReason]> = [
    ['nothing seen', { errorCode: null, peerEnded: false }, 'unknown'],
    ['nothing seen while shutting down', { errorCode: null, peerEnded: false, shuttingDown: true }, 'server-close'],
    ['FIN', { errorCode: null, peerEnded: true }, 'peer-closed'],
    ['RST (ECONNRESET)', { errorCode: 'ECONNRESET', peerEnded: false }, 'peer-reset'],
    ['RST on a write (EPIPE)', { errorCode: 'EPIPE', peerEnded: false }, 'peer-reset'],
    ['FIN then RST: the reset is the stronger fact', { errorCode: 'ECONNRESET', peerEnded: true }, 'peer-reset'],
    ['FIN then EPIPE', { errorCode: 'EPIPE', peerEnded: true }, 'peer-reset'],
    ['another error', { errorCode: 'ECONNREFUSED', peerEnded: false }, 'error'],
    ['FIN then another error: the FIN explains it', { errorCode: 'ETIMEDOUT', peerEnded: true }, 'peer-closed'],
    ['FIN and RST while shutting down', { errorCode: 'ECONNRESET', peerEnded: true, shuttingDown: true }, 'peer-reset'],
    ['a local timeout beats a reset', { localReason: 'idle-timeout', errorCode: 'ECONNRESET', peerEnded: true }, 'idle-timeout'],
    ['a local close beats a FIN', { localReason: 'server-close', errorCode: null, peerEnded: true }, 'server-close'],
    ['a proxy reason beats an error', { localReason: 'upstream-closed', errorCode: 'ECONNREFUSED', peerEnded: false }, 'upstream-closed'],
    ['a null local reason decides nothing', { localReason: null, errorCode: null, peerEnded: true }, 'peer-closed'],
  ];
  test.each(cases)('%s', (_, facts, expected) => {
    expect(closeReason(facts)).toBe(expected);
  });
});
