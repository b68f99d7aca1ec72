import { afterAll } from 'vitest';

const tcp = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap');

/**
 * Every test file must close what it opened: after its last test, this
 * process holds no TCP server and no TCP socket. A closed socket is released
 * within a tick or two, so this polls for a short while (never a fixed
 * sleep) before failing the file.
 */
afterAll(async () => {
  const deadline = performance.now() + 2000;
  while (tcp().length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const left = tcp();
  if (left.length > 0) throw new Error(`this test file left ${left.length} TCP handle(s) open: ${left.join(', ')}`);
});
