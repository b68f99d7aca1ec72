/**
 * The one error class of the lab. `code` is public API (documented in
 * docs/errors.md, checked both ways by a test); `exitCode` follows docs/reference.md:
 * 2 bad usage or input, 1 a run failed.
 */
export const ERROR_CODES = {
  LAB_ERR_USAGE: { exitCode: 2, summary: 'A flag or argument is missing or malformed.' },
  LAB_ERR_BAD_DURATION: { exitCode: 2, summary: 'A duration is not of the form 500ms, 2s or 1m.' },
  LAB_ERR_BAD_ENDPOINT: { exitCode: 2, summary: 'An address is not of the form host:port.' },
  LAB_ERR_SCENARIO_NOT_FOUND: { exitCode: 2, summary: 'No scenario file has that name.' },
  LAB_ERR_SCENARIO_INVALID: { exitCode: 2, summary: 'A scenario file is not valid YAML or does not fit the schema.' },
  LAB_ERR_BAD_OVERRIDE: { exitCode: 2, summary: 'A --set override is malformed or gives a value the schema refuses.' },
  LAB_ERR_PORT_IN_USE: { exitCode: 2, summary: 'The address to listen on is already in use.' },
  LAB_ERR_LISTEN: { exitCode: 1, summary: 'A server could not listen for another reason (permission, bad address).' },
  LAB_ERR_RESULT_NOT_FOUND: { exitCode: 2, summary: 'No saved result matches that name or file.' },
  LAB_ERR_RESULT_INVALID: { exitCode: 2, summary: 'A result file is not JSON or not a keepalive-lab result.' },
  LAB_ERR_RUN_FAILED: { exitCode: 1, summary: 'A run could not complete (a component failed or timed out).' },
  LAB_ERR_PEER_MISSING: { exitCode: 1, summary: 'A real peer (nginx, HAProxy, Chromium) is not installed.' },
  LAB_ERR_INTERNAL: { exitCode: 1, summary: 'A bug in the lab; the message says where.' },
} as const;

export type LabErrorCode = keyof typeof ERROR_CODES;

export interface LabErrorDetails {
  /** File the error is about (scenario, result). */
  file?: string;
  /** Dotted path inside that file or override: `origins.0.keepAliveTimeout`. */
  path?: string;
  /** What the schema wanted, in words. */
  expected?: string;
  /** What was there instead. */
  found?: string;
  /** Choices the user might have meant (known scenarios, flags). */
  known?: string[];
}

export class LabError extends Error {
  override readonly name = 'LabError';
  readonly code: LabErrorCode;
  readonly exitCode: 1 | 2;
  readonly details: LabErrorDetails;

  constructor(code: LabErrorCode, message: string, details: LabErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.exitCode = ERROR_CODES[code].exitCode;
    this.details = details;
  }
}

export const isLabError = (e: unknown): e is LabError => e instanceof LabError;
