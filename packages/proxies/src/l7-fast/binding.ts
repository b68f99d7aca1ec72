import { loadLlhttp } from '@keepalive-lab/core';

/**
 * node's llhttp binding (core's llhttp.ts), loaded and checked when l7-fast
 * is loaded (kinds/l7-fast.ts imports it lazily): a node whose binding
 * changed fails this import with an error naming l7-fast, and every other
 * kind still starts.
 */
export const LLHTTP = loadLlhttp({ name: 'l7-fast', instead: "proxy kind 'l7'" });
export const { HTTPParser, METHODS } = LLHTTP;
