import { findProxyComponent } from '@keepalive-lab/proxies';
import { chainOf, type Scenario } from './schema.js';
import { NODE_IDLE_CLOSE_BUFFER_MS } from './waiting-for.js';

/** One hop of the run as its idle timeouts (ms; Infinity = kept until the other side closes; null = unknown). */
export interface IdleHop {
  name: string;
  /** How long it keeps an idle connection from the hop in front of it. */
  clientSide: number | null;
  /** How long it keeps an idle connection to the hop behind it, the origin's hint applied when it honours it. */
  upstream: number | null;
  note?: string;
}

/** Two neighbouring hops: the front one sends on connections the back one may close. */
export interface IdleLink {
  front: string;
  back: string;
  /** The front hop idles longer than the back one: it can send a request on a connection the back hop is closing (the idle-timeout race). */
  risky: boolean | null;
}

/**
 * The chain's idle timeouts side by side — the lab's client, each proxy's
 * client side and upstream pool, the origin (Node's +1 s included) — and the
 * rule of thumb every production timeout chain must keep: each hop idles less
 * than the hop behind it, or a request can cross the other side's close.
 */
export function idleChain(s: Scenario): { hops: IdleHop[]; links: IdleLink[] } {
  const origin = s.origins[0];
  // Node's Agent (both client engines alike) keeps an idle socket until the server closes it.
  const hops: IdleHop[] = [{ name: 'client', clientSide: null, upstream: Infinity, note: "Node's Agent: until the server closes" }];
  const hint = origin?.keepAlive && origin.keepAliveHint ? Math.floor(origin.keepAliveTimeout / 1000) * 1000 : null;
  const chain = chainOf(s);
  chain.forEach((p, i) => {
    const { kind, ...knobs } = p;
    const idle = findProxyComponent(kind)?.idle?.(knobs);
    // Only the last hop sees the origin's hint.
    const honoured = i === chain.length - 1 && hint !== null && idle?.hintMargin !== undefined ? Math.max(0, hint - idle.hintMargin) : null;
    const upstream = idle?.upstream ?? null;
    hops.push({
      name: kind,
      clientSide: idle?.clientSide ?? null,
      upstream: honoured !== null && upstream !== null ? Math.min(upstream, honoured) : upstream,
      ...(idle?.note ? { note: idle.note } : honoured !== null ? { note: `the origin's hint − ${idle?.hintMargin} ms` } : {}),
    });
  });
  if (origin) {
    hops.push({
      name: 'origin',
      clientSide: origin.keepAlive ? origin.keepAliveTimeout + (origin.idleCloseBuffer ?? NODE_IDLE_CLOSE_BUFFER_MS) : 0,
      upstream: null,
      note: origin.keepAlive
        ? `keepAliveTimeout ${origin.keepAliveTimeout} ms + ${origin.idleCloseBuffer ?? NODE_IDLE_CLOSE_BUFFER_MS} ms`
        : 'closes after every response',
    });
  }
  const links: IdleLink[] = [];
  for (let i = 0; i + 1 < hops.length; i++) {
    const [a, b] = [hops[i] as IdleHop, hops[i + 1] as IdleHop];
    // A front hop that keeps nothing idle (0) never reuses, so it cannot race.
    const risky = a.upstream === null || b.clientSide === null ? null : a.upstream > 0 && a.upstream > b.clientSide;
    links.push({ front: a.name, back: b.name, risky });
  }
  return { hops, links };
}
