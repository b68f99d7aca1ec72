import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LabError, isLabError, listenOn } from '@keepalive-lab/core';
import type { RunEvent } from '@keepalive-lab/scenarios';
import { livePage, type LiveModel } from '@keepalive-lab/report';

/** How often pages get what changed: every run event updates the model at once, the pages at most this often. */
export const FLUSH_MS = 100;
/** A page this far behind (bytes queued) is dropped rather than let the lab's memory grow. */
const MAX_QUEUED = 8 * 1024 * 1024;

/** A replay's controls, as the page's buttons ask for them. */
export type ControlAction = 'pause' | 'resume' | 'speed' | 'restart';
export type ControlHandler = (action: ControlAction, value: number | null) => void;

export interface LiveServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly port: number;
  /** One event of the run's stream. */
  apply(p: RunEvent): void;
  /** Sends what changed now (the run ended: the pages see its last state at once). */
  flush(): void;
  /** Pages connected now. */
  readonly pages: number;
  /** Resolves when the first page connects. */
  readonly firstPage: Promise<void>;
  /** Says goodbye to every page, closes every socket, stops listening. */
  close(): Promise<void>;
}

/**
 * The live page's server on 127.0.0.1: `/` the page, `/live.js` its script,
 * `/events` the run as server-sent events (a snapshot, then a delta every
 * FLUSH_MS while something changed), `POST /control` a replay's buttons.
 * SSE needs no dependency and goes one way, which is all a watched run needs.
 */
export async function startLiveServer(model: LiveModel, port: number, control: ControlHandler | null = null): Promise<LiveServer> {
  const page = livePage();
  const pages = new Set<ServerResponse>();
  let onFirst: () => void = () => undefined;
  const firstPage = new Promise<void>((resolve) => (onFirst = resolve));

  const send = (res: ServerResponse, type: string, data: unknown): void => {
    if (res.writableLength > MAX_QUEUED) {
      pages.delete(res);
      res.destroy();
      return;
    }
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/') return reply(res, 200, 'text/html; charset=utf-8', page.html);
    if (req.method === 'GET' && path === '/live.js') return reply(res, 200, 'text/javascript; charset=utf-8', page.script);
    if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      pages.add(res);
      req.on('close', () => pages.delete(res));
      send(res, 'snapshot', model.snapshot());
      onFirst();
      return;
    }
    if (req.method === 'POST' && path === '/control') return void controlRequest(req, res, control);
    // A browser asks for it unbidden; a 404 would be an error in its console.
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    reply(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  });

  // One message per flush, serialised once for every page.
  const flush = (): void => {
    const m = model.take();
    if (m === null || pages.size === 0) return;
    const text = `event: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`;
    for (const res of pages) {
      if (res.writableLength > MAX_QUEUED) {
        pages.delete(res);
        res.destroy();
      } else res.write(text);
    }
  };
  const timer = setInterval(flush, FLUSH_MS).unref();

  let bound: { port: number };
  try {
    bound = await listenOn(server, { host: '127.0.0.1', port });
  } catch (err) {
    clearInterval(timer);
    if (isLabError(err) && err.code === 'LAB_ERR_PORT_IN_USE') {
      throw new LabError(
        'LAB_ERR_PORT_IN_USE',
        `--watch-port ${port}: ${err.message}`,
        { path: '--watch-port', found: String(port) },
        { cause: err },
      );
    }
    throw err;
  }

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${bound.port}/`,
    port: bound.port,
    apply: (p) => model.apply(p),
    flush,
    get pages() {
      return pages.size;
    },
    firstPage,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        flush();
        for (const res of pages) {
          send(res, 'bye', {});
          res.end();
        }
        pages.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // The page's keep-alive sockets (its script, a control request) would hold close() open.
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const ACTIONS = new Set<string>(['pause', 'resume', 'speed', 'restart']);

async function controlRequest(req: IncomingMessage, res: ServerResponse, control: ControlHandler | null): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  if (control === null) return reply(res, 409, 'text/plain; charset=utf-8', 'a live run has no controls: only a replay does\n');
  let msg: { action?: unknown; value?: unknown };
  try {
    msg = JSON.parse(body) as typeof msg;
  } catch {
    return reply(res, 400, 'text/plain; charset=utf-8', 'expected JSON: {"action": "pause"}\n');
  }
  if (typeof msg.action !== 'string' || !ACTIONS.has(msg.action)) {
    return reply(res, 400, 'text/plain; charset=utf-8', 'action: expected pause, resume, speed or restart\n');
  }
  control(msg.action as ControlAction, typeof msg.value === 'number' ? msg.value : null);
  res.writeHead(204).end();
}
