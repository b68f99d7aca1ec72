import type { ProxyStatus } from '../l7-kit/errors-responses.js';
import { checkRequestFraming, endsConnection } from '../l7-kit/framing.js';
import { upstreamRequestHeaders } from '../l7-kit/hop-by-hop.js';
import type { FastClient } from './client-conn.js';
import type { FastContext } from './context.js';
import { FastExchange } from './exchange.js';
import { CONTINUE, requestHead } from './heads.js';

/**
 * A head llhttp parsed, turned into an exchange in the client's answer
 * order: the kit's framing checks (framing.ts: CONNECT is refused there, 501 and
 * close; an Upgrade request is served plain, then the connection closes)
 * first, then the target and the upstream head (hop-by-hop.ts), then
 * `Expect`. Returns the exchange whose body the
 * client goes on reading (it goes upstream unless already answered), or
 * null when the request was refused and the connection is closing.
 */
export function admitRequest(
  ctx: FastContext,
  client: FastClient,
  major: number,
  minor: number,
  raw: string[],
  url: string,
  method: string,
  upgrade: boolean,
  keepAlive: boolean,
): FastExchange | null {
  const f = checkRequestFraming(
    { httpVersionMajor: major, httpVersionMinor: minor, rawHeaders: raw, url, method },
    ctx.options.maxHeaderCount,
  );
  const http10 = major === 1 && minor === 0;
  if (f.reject !== null) {
    const ex = new FastExchange(ctx, client, f.id, method, -1, '', false, false, false, http10);
    client.enqueue(ex);
    ex.answerError(f.reject.status as ProxyStatus, f.reject.why, true);
    return null;
  }
  const t = ctx.balancer.pick(client.lastTarget);
  client.lastTarget = t;
  const label = ctx.targets[t]?.label ?? '';
  const upFields = upstreamRequestHeaders({ rawHeaders: raw, clientIp: client.ip, host: f.host, targetHost: label, via: ctx.via });
  const head = requestHead(method, f.path, upFields, f.hasBody);
  // llhttp stops at an Upgrade request (framing.ts closes after it too): nothing behind it is parsed.
  const ex = new FastExchange(ctx, client, f.id, method, t, head, f.hasBody, f.chunked, !endsConnection(f, keepAlive && !upgrade), http10);
  client.enqueue(ex);
  // `Expect` (framing.ts read it): 100-continue is answered here, in order (node does the same);
  // any other expectation is 417 and nothing goes upstream.
  if (f.expect === 'continue') {
    ex.sentContinue = true;
    ex.emitContinue(CONTINUE);
  } else if (f.expect === 'other') {
    ctx.recordReject(client, ex.id, 417, 'expectation');
    ex.answerRaw(ctx.answers.expectationFailed(!ex.keepAlive), !ex.keepAlive);
  }
  return ex;
}
