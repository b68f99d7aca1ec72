import type { SoakConn } from './soak-conn.js';

/**
 * What one behaviour's sessions did to their requests. Every request sent
 * ends in exactly one of: answered, failed, abandoned, stuck (late ones
 * are counted as late besides).
 */
export interface Tally {
  sessions: number;
  /** Sessions whose connection to the proxy failed (refused, reset before connecting). */
  connectFailed: number;
  sent: number;
  /** A complete response came back. */
  answered: number;
  /** Answered, by status ("200", "502"...). */
  statuses: Record<string, number>;
  /** The connection closed or errored before the answer. */
  failed: number;
  /** The client left before the answer on purpose (an abort). */
  abandoned: number;
  /** No answer and no error by the session's deadline nor LATE_GRACE_MS later, the connection still open. */
  stuck: number;
  /** Owed at the session's deadline on an open connection: each then ends answered, failed or stuck. */
  late: number;
  /** Behaviour-specific outcomes: the proxy closed an idle connection, honoured Connection: close... */
  notes: Record<string, number>;
}

export function emptyTally(): Tally {
  return { sessions: 0, connectFailed: 0, sent: 0, answered: 0, statuses: {}, failed: 0, abandoned: 0, stuck: 0, late: 0, notes: {} };
}

export function note(t: Tally, what: string): void {
  t.notes[what] = (t.notes[what] ?? 0) + 1;
}

/**
 * How long a request past its session's deadline may still be answered (ms):
 * beyond the proxy's 30 s upstream timeout, so that a late 504 is not called
 * stuck. On a busy 2-core machine a deadline alone mixes slow with stuck.
 */
const LATE_GRACE_MS = 45_000;

/** Sessions waiting out their grace; the churn drains them before it ends. */
const parked = new Set<Promise<void>>();

/**
 * Closes a session's books. `abandon`: requests still owed were given up on
 * purpose. Otherwise they are failed if the connection died; if it is still
 * open (the deadline passed with no answer and no error) they are late: the
 * session is parked for LATE_GRACE_MS more, and what is still owed then, on a
 * connection still open, is stuck.
 */
export function closeBooks(t: Tally, conn: SoakConn, abandon: boolean): void {
  const owed = conn.outstanding;
  if (owed > 0 && !abandon && conn.open) {
    t.late += owed;
    note(t, conn.bytesIn > 0 ? 'late: part of the answers had come' : 'late: nothing had come');
    const p = conn.until(() => conn.outstanding === 0, Date.now() + LATE_GRACE_MS).then(() => settleBooks(t, conn, false));
    parked.add(p);
    p.finally(() => parked.delete(p));
    return;
  }
  settleBooks(t, conn, abandon);
}

function settleBooks(t: Tally, conn: SoakConn, abandon: boolean): void {
  t.sent += conn.sent;
  t.answered += conn.answered;
  for (const [status, n] of conn.statuses) t.statuses[status] = (t.statuses[status] ?? 0) + n;
  const owed = conn.outstanding;
  if (owed > 0) {
    if (abandon) t.abandoned += owed;
    else if (conn.open) t.stuck += owed;
    else t.failed += owed;
  }
  conn.destroy(false);
}

/** Waits for every parked session's grace to end (at most LATE_GRACE_MS). */
export async function drainLate(): Promise<void> {
  while (parked.size > 0) await Promise.all([...parked]);
}

export function addTally(into: Tally, t: Tally): void {
  into.sessions += t.sessions;
  into.connectFailed += t.connectFailed;
  into.sent += t.sent;
  into.answered += t.answered;
  into.failed += t.failed;
  into.abandoned += t.abandoned;
  into.stuck += t.stuck;
  into.late += t.late;
  for (const [k, v] of Object.entries(t.statuses)) into.statuses[k] = (into.statuses[k] ?? 0) + v;
  for (const [k, v] of Object.entries(t.notes)) into.notes[k] = (into.notes[k] ?? 0) + v;
}
