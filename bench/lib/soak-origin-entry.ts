import { createOrigin } from '@keepalive-lab/origin';

/**
 * The soak's origin child: the lab origin on 127.0.0.1:PORT with a short keep-alive timeout and a body big
 * enough to be cut mid-response and to fill a slow reader's buffers. `lab origin` has no body-size flag.
 *
 *   soak-origin-entry.ts PORT KEEPALIVE_MS BODY_BYTES
 *
 * Prints `{"port":N}` once listening, `{"error":"EADDRINUSE"}` (exit 3) if the port is taken; runs until SIGTERM
 * or until the parent goes away (stdin closes). The soak restarts it on the same port.
 */
const [port, keepAliveTimeout, responseBytes] = process.argv.slice(2).map(Number);
const origin = createOrigin({
  name: 'soak-origin',
  listen: { host: '127.0.0.1', port: port ?? 0 },
  keepAliveTimeout: keepAliveTimeout ?? 2000,
  responseBytes: responseBytes ?? 16384,
});
try {
  const bound = await origin.listen();
  process.stdout.write(`${JSON.stringify({ port: bound.port })}\n`);
} catch (err) {
  const code = (err as { code?: string }).code ?? String(err);
  const inUse = code === 'LAB_ERR_PORT_IN_USE' || code === 'EADDRINUSE';
  process.stdout.write(`${JSON.stringify({ error: inUse ? 'EADDRINUSE' : code })}\n`);
  process.exit(inUse ? 3 : 1);
}
const stop = (): void => {
  origin.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
