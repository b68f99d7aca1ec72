import { z } from 'zod';
import { h2cRefusal, UPSTREAM_PROTOCOLS } from '../l7-kit/options.js';

/**
 * A real peer's `upstreamProtocol` knob: l7's name and values
 * (UPSTREAM_PROTOCOLS), so `--set proxy.kind=haproxy` keeps a scenario's
 * `upstreamProtocol: h2c` meaning the same thing. `how`: what the peer's
 * generated config does with h2c, in its own words.
 */
export const upstreamProtocolKnob = (how: string) =>
  z.enum(UPSTREAM_PROTOCOLS).optional().describe(`http/1.1 (default) or h2c (HTTP/2 cleartext, prior knowledge): ${how}`);

/**
 * Refuses, by name, a knob the peer's h2c path would silently ignore (as l7
 * refuses its pool knobs with h2c, by the same rule: h2cRefusal): the first
 * of `knobs` set when upstreamProtocol is h2c. Thrown where the config is
 * generated, so both a run and `lab proxy <kind> --print-config` say it.
 */
export function refuseWithH2c(kind: string, knobs: Record<string, unknown>, names: readonly string[], why: string): void {
  const refusal = h2cRefusal(kind, knobs, names, why);
  if (refusal !== null) throw refusal;
}
