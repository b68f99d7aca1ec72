import type { LabError } from '@keepalive-lab/core';

/** The text a user sees for a LabError: the message, then what might help. No stack. */
export function describeError(err: LabError): string {
  const lines = [`lab: ${err.message}`];
  const d = err.details;
  if (d.known && d.known.length > 0) lines.push(`  known: ${d.known.join(', ')}`);
  lines.push(`  (${err.code})`);
  return `${lines.join('\n')}\n`;
}
