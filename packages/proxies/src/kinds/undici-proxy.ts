import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { countField, durationField, formatEndpoint, LabError } from '@keepalive-lab/core';
import type { LabProxy, ProxyCommon, ProxyComponent } from './component.js';
import { HttpServerProxy } from './http-server-proxy.js';
import { npmPeer } from './npm-package.js';

interface UndiciKnobs {
  connections?: number;
  keepAliveTimeout?: number;
  keepAliveMaxTimeout?: number;
  pipelining?: number;
}

/**
 * A proxy on undici's Pool, as @fastify/http-proxy and @fastify/reply-from
 * build one: one Pool per target (balanced per request), hop-by-hop fields
 * dropped both ways, bodies streamed, 502 when the origin fails. undici
 * keeps an idle socket for the origin's `Keep-Alive: timeout` minus 2s
 * (none at all when the hint is ≤ 2s), else for keepAliveTimeout; it does not
 * retry a request whose pooled connection drops (only pipelined ones behind it).
 */
export const undiciProxy: ProxyComponent = {
  kind: 'undici-proxy',
  role: 'proxy',
  layer: 'l7',
  summary: "a node:http proxy on undici's Pool (as @fastify/reply-from): pooled keep-alive, Keep-Alive hint honoured",
  source: 'npm',
  knobs: {
    connections: countField(1).optional().describe("Pool connections: sockets per origin, default undici's unlimited"),
    keepAliveTimeout: durationField
      .optional()
      .describe("idle socket kept this long when the origin gives no Keep-Alive hint, default undici's 4s"),
    keepAliveMaxTimeout: durationField
      .optional()
      .describe("cap on the idle time the origin's Keep-Alive hint asks for, default undici's 10m"),
    pipelining: countField(0).optional().describe("requests in flight per socket, default undici's 1 (0 = no keep-alive)"),
  },
  startable: true,
  inDefaultMatrix: true,
  ...npmPeer('undici'),
  // node:http's server (5 s + 1 s) in front; undici keeps an idle socket keepAliveTimeout (4 s), or the origin's hint less 2 s.
  idle: (knobs) => ({ clientSide: 6_000, upstream: (knobs.keepAliveTimeout as number | undefined) ?? 4_000, hintMargin: 2_000 }),
  async create(knobs, common) {
    if (common.targets.length === 0) throw new LabError('LAB_ERR_USAGE', 'undici-proxy needs at least one target', { path: 'targets' });
    const undici = await import('undici');
    const connect = undici.buildConnector({});
    const k = knobs as UndiciKnobs;
    return new UndiciProxy(common, (track) =>
      common.targets.map(
        (t) =>
          new undici.Pool(`http://${formatEndpoint(t)}`, {
            ...(k.connections === undefined ? {} : { connections: k.connections }),
            ...(k.keepAliveTimeout === undefined ? {} : { keepAliveTimeout: k.keepAliveTimeout }),
            ...(k.keepAliveMaxTimeout === undefined ? {} : { keepAliveMaxTimeout: k.keepAliveMaxTimeout }),
            ...(k.pipelining === undefined ? {} : { pipelining: k.pipelining }),
            // undici's own connector, wrapped so each upstream socket is counted.
            connect: (opts, cb) =>
              connect(opts, (...args) => {
                // On error undici calls back with the error alone, despite its types.
                if (args[0] === null) track(args[1]);
                cb(...args);
              }),
          }),
      ),
    );
  },
};

/** Hop-by-hop fields (RFC 9110 §7.6.1), plus Expect: node's server has already answered 100-continue, and undici refuses it. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

/** `raw` (name, value, ...) without hop-by-hop fields, Proxy-* and the names `Connection` lists. */
function endToEnd(raw: string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'connection')
      for (const t of (raw[i + 1] as string).split(',')) listed.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!HOP_BY_HOP.has(name) && !listed.has(name) && !name.startsWith('proxy-')) out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

class UndiciProxy extends HttpServerProxy implements LabProxy {
  readonly name: string;
  readonly #pools: Pool[];
  #next = 0;

  constructor(common: ProxyCommon, pools: (track: (s: Socket) => void) => Pool[]) {
    const server = createServer();
    super(server, common);
    this.name = common.name ?? 'undici-proxy';
    this.#pools = pools((s) => this.track(s));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#forward(req, res));
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const pool = this.#pools[this.#next++ % this.#pools.length] as Pool;
    // A client gone before the answer aborts the upstream request.
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    this.answering(req.socket, res);
    void this.#exchange(pool, req, res, abort.signal);
  }

  async #exchange(pool: Pool, req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    let answer: Dispatcher.ResponseData | null = null;
    try {
      answer = await pool.request({
        method: req.method as Dispatcher.HttpMethod, // its types list nine methods; it sends any token
        path: req.url ?? '/',
        headers: endToEnd(req.rawHeaders),
        body: hasBody(req) ? req : null,
        signal,
        responseHeaders: 'raw', // (misspelt responseHeader in its types) a flat name, value list, as received
      } as Dispatcher.RequestOptions);
      res.writeHead(answer.statusCode, endToEnd(answer.headers as unknown as string[]));
    } catch {
      // No answer, or one node refuses to write: a proxy answers 502 and stays up.
      answer?.body.destroy();
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'Content-Type': 'text/plain' }).end('502 Bad Gateway: no response from the origin (undici)\n');
      return;
    }
    // pipeline destroys the client's response if the origin's body fails midway.
    pipeline(answer.body, res, () => {});
  }

  /** Upstream sockets end with their pool: close() lets in-flight requests finish, then closes its sockets; the base's grace period bounds it. */
  protected override async shutdown(): Promise<void> {
    const pools = Promise.all(this.#pools.map((p) => p.close()));
    await this.closeServer();
    await pools;
  }
}
