export { main } from './main.js';
export type { CommandContext } from './context.js';
