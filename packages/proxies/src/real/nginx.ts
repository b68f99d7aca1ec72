import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, type Endpoint, type Recorder } from '@keepalive-lab/core';
import { freePort, stopChild, waitAccepting } from './child-port.js';
import { NGINX_INSTALL_HINT, findNginx, isExecutable } from './find-nginx.js';
import { nginxConfig } from './nginx-config.js';

export interface NginxProxyOptions {
  /** Where nginx listens; default 127.0.0.1:0 (a free port picked before nginx starts). */
  listen?: Endpoint;
  /** Origins; nginx takes them round-robin. */
  targets: Endpoint[];
  /** Idle upstream connections nginx caches per worker (`keepalive N`); default 8, 0 = none. */
  keepalive?: number;
  /** How long a cached upstream connection may stay idle (`keepalive_timeout`), ms; default nginx's 60 s. */
  keepaliveTimeout?: number;
  /** The nginx executable; default $LAB_NGINX, else nginx on PATH or in /usr/sbin. */
  binary?: string;
  /**
   * Accepted for symmetry with the lab's proxies and ignored: nginx writes no
   * events. Joined records then have null upstream ports; the origin's events
   * still show every connection nginx opened.
   */
  recorder?: Recorder;
  name?: string;
}

const DEFAULT_LISTEN: Endpoint = { host: '127.0.0.1', port: 0 };
const DEFAULT_KEEPALIVE = 8;
/** nginx binds within milliseconds; a loaded 2-core machine gets ample room. */
const START_TIMEOUT_MS = 5000;
/** The tail of nginx's stderr kept for error messages. */
const STDERR_KEEP = 4096;

/**
 * The real nginx as a lab proxy: a config in a fresh temp dir (one worker,
 * no daemon, no master, every path under the dir), nginx as a child process,
 * and the LabServer contract around it. close() stops the child and waits for
 * its exit, then removes the dir.
 */
export class NginxProxy {
  readonly name: string;
  readonly #options: NginxProxyOptions;
  #endpoint: Endpoint | null = null;
  #child: ChildProcess | null = null;
  #dir: string | null = null;
  #stderr = '';
  #listening: Promise<Endpoint> | null = null;
  #closing: Promise<void> | null = null;

  constructor(options: NginxProxyOptions) {
    this.#options = options;
    this.name = options.name ?? 'nginx';
  }

  get endpoint(): Endpoint | null {
    return this.#endpoint;
  }

  /** Unknown: nginx's sockets live in its process. 0 once closed, as for every proxy. */
  get openSockets(): number {
    return 0;
  }

  /** The child's pid while it runs or after, null before listen(): for a caller checking it is gone. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The temp dir holding nginx.conf and nginx's temp paths; removed at close(). */
  get dir(): string | null {
    return this.#dir;
  }

  /** What nginx wrote to stderr (its tail): warnings, bind errors. */
  get stderr(): string {
    return this.#stderr;
  }

  listen(): Promise<Endpoint> {
    this.#listening ??= this.#start();
    return this.#listening;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #start(): Promise<Endpoint> {
    const binary = this.#options.binary ?? findNginx();
    if (binary === null || !isExecutable(binary)) {
      throw new LabError(
        'LAB_ERR_PEER_MISSING',
        `nginx is not installed${binary === null ? '' : ` (no executable at ${binary})`}: proxy.kind nginx runs the real one. Install it with: ${NGINX_INSTALL_HINT} (Debian/Ubuntu, as root)`,
        { expected: 'nginx', found: binary ?? 'nothing on PATH or in /usr/sbin' },
      );
    }
    const at = this.#options.listen ?? DEFAULT_LISTEN;
    const port = at.port === 0 ? await freePort(at.host) : at.port;
    const dir = await mkdtemp(join(tmpdir(), 'lab-nginx-'));
    this.#dir = dir;
    try {
      await this.#spawn(binary, dir, at.host, port);
    } catch (err) {
      const tail = this.#stderr.trim();
      await this.#cleanup();
      if (err instanceof LabError && tail !== '') throw new LabError(err.code, `${err.message}; nginx said: ${tail}`, err.details, { cause: err });
      throw err;
    }
    this.#endpoint = { host: at.host, port };
    return this.#endpoint;
  }

  async #spawn(binary: string, dir: string, host: string, port: number): Promise<void> {
    const conf = join(dir, 'nginx.conf');
    const keepalive = this.#options.keepalive ?? DEFAULT_KEEPALIVE;
    const timeout = this.#options.keepaliveTimeout;
    await writeFile(conf, nginxConfig({ dir, listenPort: port, targets: this.#options.targets, keepalive, ...(timeout === undefined ? {} : { keepaliveTimeoutMs: timeout }) }));
    // -e: the error log before the config is read (else nginx opens /var/log/nginx/error.log first).
    const child = spawn(binary, ['-p', dir, '-c', conf, '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
    });
    // A spawn failure (EACCES between the check and the exec) arrives as 'error'; it also sets exitCode, which waitAccepting sees.
    child.once('error', (err) => {
      this.#stderr += `\nspawn: ${err.message}`;
    });
    await waitAccepting(child, 'nginx', host, port, START_TIMEOUT_MS);
  }

  async #close(): Promise<void> {
    // A close() during listen() waits for the start to settle, so the child it spawns is the one stopped.
    await this.#listening?.catch(() => undefined /* the start's error went to listen()'s caller */);
    await this.#cleanup();
  }

  /** Stops the child and removes the dir; safe to repeat (a failed start already ran it). */
  async #cleanup(): Promise<void> {
    // SIGTERM is nginx's fast shutdown: by close() the lab's client is done, and a
    // graceful SIGQUIT would wait out a request hung on a silent origin.
    if (this.#child !== null) await stopChild(this.#child, 'SIGTERM');
    if (this.#dir !== null) await rm(this.#dir, { recursive: true, force: true });
  }
}

export function createNginxProxy(options: NginxProxyOptions): NginxProxy {
  return new NginxProxy(options);
}
