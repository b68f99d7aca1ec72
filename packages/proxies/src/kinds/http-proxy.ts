import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type HttpProxy from 'http-proxy';
import { z } from 'zod';
import { countField, LabError, type Endpoint } from '@keepalive-lab/core';
import type { LabProxy, ProxyCommon, ProxyComponent } from './component.js';
import { HttpServerProxy } from './http-server-proxy.js';
import { npmPeer } from './npm-package.js';

interface HttpProxyKnobs {
  keepAlive?: boolean;
  maxSockets?: number;
  xfwd?: boolean;
}

/**
 * node-http-proxy 1.18 as real Node proxies use it. Its default (no agent)
 * sends `Connection: close` upstream, so every request opens a new origin
 * connection; and it copies the origin's answering `Connection: close` to
 * the client, so the client's keep-alive connection ends too. It copies
 * hop-by-hop request fields as they came, node's Agent retries nothing, and
 * an origin that dies mid-body leaves the client waiting (http-proxy does not
 * pass that on): faithful here, as the lab measures what it does.
 */
export const httpProxy: ProxyComponent = {
  kind: 'http-proxy',
  role: 'proxy',
  layer: 'l7',
  summary: 'node-http-proxy 1.18 on node:http: no agent by default, so a new upstream connection per request',
  source: 'npm',
  knobs: {
    keepAlive: z
      .boolean()
      .optional()
      .describe("an upstream http.Agent({ keepAlive: true }); default false, http-proxy's own: no agent, Connection: close upstream"),
    maxSockets: countField(1).optional().describe("the agent's maxSockets per origin (only with keepAlive)"),
    xfwd: z.boolean().optional().describe('add X-Forwarded-For, -Port, -Proto and -Host'),
  },
  startable: true,
  inDefaultMatrix: true,
  ...npmPeer('http-proxy'),
  // node:http's server (keepAliveTimeout 5 s + its 1 s); upstream, node's Agent keeps an idle socket until the origin closes it, or none without keepAlive.
  idle: (knobs) => ({ clientSide: 6_000, upstream: knobs.keepAlive === true ? Infinity : 0 }),
  async create(knobs, common) {
    const k = knobs as HttpProxyKnobs;
    if (k.maxSockets !== undefined && k.keepAlive !== true) {
      throw new LabError('LAB_ERR_USAGE', "http-proxy knob maxSockets is the keep-alive agent's: set keepAlive: true too", {
        path: 'maxSockets',
        found: String(k.maxSockets),
      });
    }
    if (common.targets.length === 0) throw new LabError('LAB_ERR_USAGE', 'http-proxy needs at least one target', { path: 'targets' });
    const { default: lib } = await import('http-proxy');
    return new HttpProxyLab(lib, k, common);
  },
};

/** The `http-proxy` module's default export (its types name the class itself). */
type HttpProxyLib = typeof HttpProxy;

class HttpProxyLab extends HttpServerProxy implements LabProxy {
  readonly name: string;
  readonly #proxy: HttpProxy;
  readonly #agent: Agent | null;
  readonly #targets: Endpoint[];
  readonly #tracked = new WeakSet<Socket>();
  #next = 0;

  constructor(lib: HttpProxyLib, knobs: HttpProxyKnobs, common: ProxyCommon) {
    const server = createServer();
    super(server, common);
    this.name = common.name ?? 'http-proxy';
    this.#targets = common.targets;
    this.#agent =
      knobs.keepAlive === true
        ? new Agent({ keepAlive: true, ...(knobs.maxSockets === undefined ? {} : { maxSockets: knobs.maxSockets }) })
        : null;
    // A freed socket goes back to the agent's idle list; while closing it is closed instead.
    this.#agent?.on('free', (socket: Socket) => {
      if (this.closing) socket.destroy();
    });
    this.#proxy = lib.createProxyServer({ xfwd: knobs.xfwd ?? false, ...(this.#agent === null ? {} : { agent: this.#agent }) });
    // Without an 'error' listener http-proxy throws and the process dies.
    this.#proxy.on('error', (_err, _req, res) => {
      if (!('writeHead' in res)) return void res.destroy();
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'Content-Type': 'text/plain' }).end('502 Bad Gateway: no response from the origin (http-proxy)\n');
    });
    // Upstream sockets show up here (not for Expect requests: http-proxy skips the event; they end with their client's request).
    this.#proxy.on('proxyReq', (proxyReq) => {
      if (proxyReq.socket !== null) this.#track(proxyReq.socket);
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.answering(req.socket, res);
      const target = this.#targets[this.#next++ % this.#targets.length] as Endpoint;
      this.#proxy.web(req, res, { target: { host: target.host, port: target.port } });
    });
  }

  #track(socket: Socket): void {
    if (this.#tracked.has(socket)) return; // a pooled socket carries many requests
    this.#tracked.add(socket);
    this.track(socket);
  }

  /** Upstream sockets end with their exchange, or here: the agent's idle ones before the server closes, the rest with the agent. */
  protected override async shutdown(): Promise<void> {
    for (const list of Object.values(this.#agent?.freeSockets ?? {})) for (const s of list ?? []) s.destroy();
    await this.closeServer();
    this.#agent?.destroy();
  }
}
