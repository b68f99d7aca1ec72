import type { FailureKind } from '@keepalive-lab/scenarios';

/**
 * The waterfall's colours, shared by the page script (through the page data)
 * and the HTML legend, so the two cannot disagree. Origin connections take
 * greens and blues; failures take the warm and dark hues no connection uses,
 * one per kind.
 */
export const FAILURE_STYLE: Record<FailureKind, { colour: string; label: string; why: string }> = {
  http: { colour: '#d32f2f', label: 'HTTP error', why: 'an answer with a status of 400 or more (a proxy answering 502 for its origin)' },
  reset: { colour: '#8e24aa', label: 'reset', why: 'the connection was reset (ECONNRESET, EPIPE), even after a status line' },
  eof: {
    colour: '#ef6c00',
    label: 'closed without an answer (EOF)',
    why: "the peer closed the connection before a response ended: Node's 'socket hang up'",
  },
  timeout: { colour: '#5d4037', label: 'timed out', why: 'no answer within client.timeout' },
  refused: { colour: '#f9a825', label: 'refused', why: 'the connect() was refused (ECONNREFUSED): nothing listened' },
  other: { colour: '#ad1457', label: 'other error', why: 'no answer, for another reason' },
};

/**
 * Origin connection k is drawn in CONNECTION_COLOURS[k % 24]: hues from green
 * to blue (140°–230°) stepped by the golden ratio, at three lightnesses, so
 * neighbours differ and none is near a failure's red, purple, orange or amber.
 */
export const CONNECTION_COLOURS: readonly string[] = Array.from({ length: 24 }, (_, k) => {
  const hue = 140 + ((k * 0.618034) % 1) * 90;
  return `hsl(${hue.toFixed(0)} 60% ${[36, 46, 30][k % 3]}%)`;
});

/** Requests whose origin connection is unknown (no origin stamp). */
export const UNKNOWN_CONNECTION_COLOUR = '#9aa3ad';

/** The queued span: opaque, so a test can find its exact pixels. */
export const QUEUED_COLOUR = '#8c96a0';
/** Origin idle closes (▼) and completion-wave lines. */
export const MARK_COLOUR = '#111111';
