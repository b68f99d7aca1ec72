import { Marked } from 'marked';

/**
 * Scenario stories are markdown. Raw HTML in them is shown as text, not
 * run: a result file can come from anyone, and the report is opened locally.
 */
const marked = new Marked({
  async: false,
  gfm: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
});

export function markdownToHtml(text: string): string {
  return marked.parse(text, { async: false });
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => ESC[ch] ?? ch);

/**
 * Escaped, with a break opportunity after each `.`, `:`, `/` and `-`: `origin.requestsPerConnection`
 * and `keepalive-pipe-l4` wrap in a narrow column instead of widening it.
 */
export const breakable = (s: string): string => escapeHtml(s).replace(/([.:/-])/g, '$1<wbr>');
