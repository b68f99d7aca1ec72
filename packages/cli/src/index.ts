export { main } from './main.js';
export type { CommandContext } from './context.js';
export { startLiveServer, FLUSH_MS, type LiveServer } from './live/live-server.js';
/** What startLiveServer serves: the model its pages are drawn from. */
export { LiveModel } from '@keepalive-lab/report';
