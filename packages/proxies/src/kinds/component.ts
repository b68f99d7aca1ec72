import type { z } from 'zod';
import type { Endpoint, LabServer, Recorder } from '@keepalive-lab/core';

/**
 * One kind of proxy the lab can put between its client and its origins: the
 * lab's own engines, real peers from Debian or npm, or one the user runs.
 * Everything that names a proxy kind (the scenario schema, the topology,
 * `lab proxy`, `lab list`, `lab matrix`, the tests' skip decisions) reads
 * this registry entry; nothing else lists kinds.
 */
export interface ProxyComponent {
  readonly kind: string;
  readonly role: 'proxy';
  /** What it parses: bytes (l4) or HTTP messages (l7). */
  readonly layer: 'l4' | 'l7';
  /** One line, for `lab list --kinds`, the matrix header and docs/reference.md. */
  readonly summary: string;
  /** Who wrote it: the lab, Debian's package, an npm package, or the user (not started by the lab). */
  readonly source: 'lab' | 'debian' | 'npm' | 'user';
  /**
   * The scenario's `proxy:` block for this kind, besides `kind` (zod fields,
   * parsed strictly: a knob the kind does not have is refused by name).
   * Durations arrive in ms.
   */
  readonly knobs: z.ZodRawShape;
  /** For a real peer from Debian: how its binary is found and installed. */
  readonly peer?: PeerProgram;
  /** For a real peer: the block of its generated config that `directives:` lines go in. */
  readonly directivesIn?: string;
  /** False for `external`: the lab cannot start it (`lab proxy` refuses it). */
  readonly startable: boolean;
  /** Whether `lab matrix` runs it when no --proxies are named (naive-l4 would stall every keep-alive row). */
  readonly inDefaultMatrix: boolean;
  /** Why it cannot run on this machine, with the one line that installs it; null when it can. */
  missing(env?: NodeJS.ProcessEnv): string | null;
  /** Its version (`1.22.1`; the lab's own engines: the lab's), or null when it cannot be asked. */
  version(): Promise<string | null>;
  /**
   * How long it keeps an idle connection on each side, with these knobs
   * (ms; Infinity = until the other side closes it; null = unknown): what the
   * idle-timeout chain of a scenario is made of. Absent: unknown.
   */
  idle?(knobs: Record<string, unknown>): HopIdle;
  /**
   * Builds the proxy (not listening yet: the owner calls listen()). Engines
   * are imported here, lazily, so loading the registry runs no engine's
   * start-up checks.
   */
  create(knobs: Record<string, unknown>, common: ProxyCommon): Promise<LabProxy>;
}

/** A proxy's idle timeouts: on its client side (kept-alive client connections) and in its upstream pool. */
export interface HopIdle {
  clientSide: number | null;
  upstream: number | null;
  /** What the figures leave out, in a few words. */
  note?: string;
  /** When it drops a pooled connection this many ms before the origin's `Keep-Alive: timeout=N` says: the hint's margin. */
  hintMargin?: number;
}

/** What every kind takes whatever its knobs: where to listen, the origins, where events go. */
export interface ProxyCommon {
  /** Default 127.0.0.1:0. */
  listen?: Endpoint;
  targets: Endpoint[];
  recorder?: Recorder;
  /** `proxy` field of its events; default the kind. */
  name?: string;
  /** A real peer's executable, instead of the one its PeerProgram finds (tests, benches). */
  binary?: string;
}

/** What an owner (scenario runner, CLI) needs of any proxy. */
export interface LabProxy extends LabServer {
  readonly name: string;
  /** Client and upstream sockets still open (0 for a child process: they live there). */
  readonly openSockets: number;
  /** A real peer's generated config, as it ran; absent for the lab's own engines. */
  readonly config?: string | null;
  /** A real peer's own log lines of the run (error log, stderr), for the result. */
  readonly log?: string;
}

/** How a real peer's executable is found and where it comes from. */
export interface PeerProgram {
  /** The executable's name on PATH or in /usr/sbin: `nginx`, `apache2`. */
  readonly program: string;
  /** Names a binary to use instead (`LAB_NGINX=/opt/nginx/sbin/nginx`); `none` pretends it is absent. */
  readonly envVar: string;
  /** The Debian package that brings it. */
  readonly debianPackage: string;
}
