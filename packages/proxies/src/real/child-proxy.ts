import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, type Endpoint, type Recorder } from '@keepalive-lab/core';
import { freePort, saysAddressInUse, stopChild, waitAccepting, type PortPicker } from './child-port.js';
import { isExecutable } from './find-binary.js';
import { notInstalled } from '../kinds/peer-program.js';

/** What every real proxy the lab runs as a child takes, whatever its own knobs. */
export interface ChildProxyOptions {
  /** Where the proxy listens; default 127.0.0.1:0 (a free port picked before the child starts). */
  listen?: Endpoint;
  /** Origins. */
  targets: Endpoint[];
  /** The executable; default found by the subclass ($LAB_<NAME>, PATH, /usr/sbin). */
  binary?: string;
  /**
   * Accepted for symmetry with the lab's proxies and ignored: a real proxy
   * writes no events. Joined records then have null upstream ports; the
   * origin's events still show every connection it opened.
   */
  recorder?: Recorder;
  name?: string;
  /**
   * Picks the port for `listen` port 0, again for each start on a fresh port;
   * default freePort. A seam for tests: a picker handing out a port another
   * process holds.
   */
  pickPort?: PortPicker;
}

/** How one real proxy is found, configured and stopped. */
export interface ChildProgram {
  /** `nginx`, `apache2`: the executable, in messages and the temp dir's name. */
  program: string;
  /** The proxy kind it runs as (`apache`), when it differs from the program; for messages. */
  kind?: string;
  /** The command that installs it, shown when it is missing. */
  installHint: string;
  find(): string | null;
  /** Writes the config into `dir` for a listener on host:port; returns the child's arguments and the config as written. */
  configure(dir: string, host: string, port: number): Promise<{ args: string[]; config: string; env?: NodeJS.ProcessEnv }>;
  /** Fast stop: by close() the lab's client is done, and a graceful stop would wait out a request hung on a silent origin. */
  stopSignal: NodeJS.Signals;
  /** Log files the child writes in its dir (an access log), read into `log` once it has stopped. */
  logFiles?: string[];
}

const DEFAULT_LISTEN: Endpoint = { host: '127.0.0.1', port: 0 };
/** Real proxies bind within milliseconds; a loaded 2-core machine gets ample room. */
const START_TIMEOUT_MS = 5000;
/** The tail of the child's stderr kept for error messages and the result's log: a run's warnings, bounded. */
const STDERR_KEEP = 256 * 1024;
/** How much of that tail an error message quotes. */
const STDERR_QUOTE = 4096;
/**
 * Starts again on a fresh port when the child exits saying its port was in
 * use: another process took the port freePort released before the child
 * bound it. Only for a port the lab picked (a caller's fixed port stays).
 */
const PORT_RETRIES = 3;
/** How long an exited child's pipes get to deliver its last words (its bind error) before they are read. */
const EXIT_OUTPUT_MS = 500;

/**
 * A real proxy as a lab proxy: a config in a fresh temp dir, the proxy as a
 * foreground child process, and the LabServer contract around it. listen()
 * resolves once the child accepts; close() stops the child, waits for its
 * exit, then removes the dir. Each real proxy only supplies its ChildProgram.
 */
export class ChildProxy {
  readonly name: string;
  readonly #program: ChildProgram;
  readonly #options: ChildProxyOptions;
  #endpoint: Endpoint | null = null;
  #child: ChildProcess | null = null;
  #dir: string | null = null;
  #stderr = '';
  /** What the current start's child wrote (stdout and stderr): where its bind error is looked for. */
  #said = '';
  #config: string | null = null;
  #listening: Promise<Endpoint> | null = null;
  #closing: Promise<void> | null = null;

  constructor(program: ChildProgram, options: ChildProxyOptions) {
    this.#program = program;
    this.#options = options;
    this.name = options.name ?? program.program;
  }

  get endpoint(): Endpoint | null {
    return this.#endpoint;
  }

  /** Unknown: the child's sockets live in its process. 0 once closed, as for every proxy. */
  get openSockets(): number {
    return 0;
  }

  /** The child's pid while it runs or after, null before listen(): for a caller checking it is gone. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The temp dir holding the config and whatever the child writes; removed at close(). */
  get dir(): string | null {
    return this.#dir;
  }

  /** What the child wrote to stderr (its tail): warnings, bind errors. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The peer's log of the run (its stderr, where every lab config sends its error log). */
  get log(): string {
    return this.#stderr;
  }

  /** The config the child was started with, as written; null before listen(). */
  get config(): string | null {
    return this.#config;
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
    const { program, installHint } = this.#program;
    const binary = this.#options.binary ?? this.#program.find();
    if (binary === null || !isExecutable(binary)) {
      throw new LabError(
        'LAB_ERR_PEER_MISSING',
        notInstalled(this.#program.kind ?? program, program, installHint, binary === null ? null : `no executable at ${binary}`),
        { expected: program, found: binary ?? 'nothing on PATH or in /usr/sbin' },
      );
    }
    const at = this.#options.listen ?? DEFAULT_LISTEN;
    const pickPort = this.#options.pickPort ?? freePort;
    const starts = at.port === 0 ? 1 + PORT_RETRIES : 1;
    for (let start = 1; ; start++) {
      const port = at.port === 0 ? await pickPort(at.host) : at.port;
      try {
        await this.#startOn(binary, at.host, port);
        this.#endpoint = { host: at.host, port };
        return this.#endpoint;
      } catch (err) {
        // Taken between freePort and the child's bind (the child exited saying so): again, on a fresh port.
        const taken = this.#child !== null && this.#child.exitCode !== null && saysAddressInUse(this.#said);
        const tail = this.#said.trim().slice(-STDERR_QUOTE);
        await this.#cleanup();
        if (taken && start < starts) {
          this.#note(
            `${program} could not bind ${at.host}:${port} (in use by another process); starting it again on a fresh port (${start + 1} of ${starts})`,
          );
          continue;
        }
        const tries = start > 1 ? ` (start ${start} of ${starts}, each on a fresh port)` : '';
        if (!(err instanceof LabError) || (tail === '' && tries === '')) throw err;
        throw new LabError(err.code, `${err.message}${tries}${tail === '' ? '' : `; ${program} said: ${tail}`}`, err.details, {
          cause: err,
        });
      }
    }
  }

  /** One start: a fresh temp dir, the config for host:port, the child; resolves once the child listens there. */
  async #startOn(binary: string, host: string, port: number): Promise<void> {
    this.#child = null;
    this.#said = '';
    const dir = await mkdtemp(join(tmpdir(), `lab-${this.#program.program}-`));
    this.#dir = dir;
    const { args, config, env } = await this.#program.configure(dir, host, port);
    this.#config = config;
    await this.#spawn(binary, args, env, host, port);
  }

  /** A line of the lab's own in the peer's log (a start again on a fresh port). */
  #note(line: string): void {
    const sep = this.#stderr === '' || this.#stderr.endsWith('\n') ? '' : '\n';
    this.#stderr = `${this.#stderr}${sep}lab: ${line}\n`.slice(-STDERR_KEEP);
  }

  async #spawn(binary: string, args: string[], env: NodeJS.ProcessEnv | undefined, host: string, port: number): Promise<void> {
    // stdout too: some peers (Caddy, Squid with -d) log there; both end up in the run's log.
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.#child = child;
    const keep = (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
      this.#said = (this.#said + chunk).slice(-STDERR_KEEP);
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', keep);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', keep);
    let closed = false;
    const pipesClosed = once(child, 'close').then(
      () => void (closed = true),
      () => undefined,
    );
    // A spawn failure (EACCES between the check and the exec) arrives as 'error'; it also sets exitCode, which waitAccepting sees.
    child.once('error', (err) => keep(`\nspawn: ${err.message}`));
    try {
      await waitAccepting(child, this.#program.program, host, port, START_TIMEOUT_MS);
    } catch (err) {
      // 'exit' can come before the last of the child's output: wait (briefly: a grandchild may hold the pipes) for the pipes to close.
      if (!closed && child.exitCode !== null) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([pipesClosed, new Promise((resolve) => (timer = setTimeout(resolve, EXIT_OUTPUT_MS)))]);
        clearTimeout(timer);
      }
      throw err;
    }
  }

  async #close(): Promise<void> {
    // A close() during listen() waits for the start to settle, so the child it spawns is the one stopped.
    await this.#listening?.catch(() => undefined /* the start's error went to listen()'s caller */);
    await this.#cleanup();
  }

  /** Stops the child and removes the dir; safe to repeat (a failed start already ran it). */
  async #cleanup(): Promise<void> {
    if (this.#child !== null) await stopChild(this.#child, this.#program.stopSignal);
    if (this.#dir === null) return;
    for (const name of this.#program.logFiles ?? []) {
      // Absent when the child logged nothing (or never started): nothing to add.
      const text = await readFile(join(this.#dir, name), 'utf8').catch(() => '');
      if (text !== '')
        this.#stderr = `${this.#stderr}${this.#stderr.endsWith('\n') || this.#stderr === '' ? '' : '\n'}${text}`.slice(-STDERR_KEEP);
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}
