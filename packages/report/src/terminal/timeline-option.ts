import { LabError } from '@keepalive-lab/core';
import type { TimelineRows } from './timeline.js';

/** `--timeline client|origin`, checked once for run and show. */
export function timelineRowsOption(text: string): TimelineRows {
  if (text === 'client' || text === 'origin') return text;
  throw new LabError('LAB_ERR_USAGE', `--timeline: expected client or origin, found ${JSON.stringify(text)}`, {
    path: '--timeline',
    expected: 'client or origin',
    found: text,
  });
}
