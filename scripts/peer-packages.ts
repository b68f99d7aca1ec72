// Prints the Debian packages of the registry's real peers that are not installed here, one line,
// space-separated (empty when all are): what .ci/run hands to apt-get. A new peer kind needs no CI edit.
import { PROXY_COMPONENTS } from '@keepalive-lab/proxies';

const missing = PROXY_COMPONENTS.filter((c) => c.peer !== undefined && c.missing() !== null).map((c) => c.peer?.debianPackage ?? '');
process.stdout.write(`${[...new Set(missing)].join(' ')}\n`);
