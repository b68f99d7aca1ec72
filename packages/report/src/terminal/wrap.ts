import { stripVTControlCharacters } from 'node:util';

/** Columns a string takes in a terminal: colour codes none (every character the lab prints is one column wide). */
export const visibleWidth = (s: string): number => [...stripVTControlCharacters(s)].length;

/** The widest line of a possibly multi-line string. */
export const widestLine = (s: string): number => Math.max(0, ...s.split('\n').map(visibleWidth));

/** A colour code (no width) or one character. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes this skips
const GLYPH = /\x1b\[[0-9;]*m|[\s\S]/gu;
/** A word too long for its line breaks after one of these if it can: `origin.` / `maxRequestsPerConnection`. */
const SOFT = new Set(['.', '/', ',', '-', ':', '=', '→']);

/**
 * `text` in lines of at most `width` columns: broken at spaces, a word too
 * long for a line after a `.` or `/` (else anywhere). Runs of spaces inside a
 * line are kept (aligned text stays aligned); continuation lines start with
 * `indent`. Colour codes ride along: cli-table3 re-opens them on each line of
 * a cell, and in free text the terminal carries them to the next line.
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  if (!Number.isFinite(width)) return text.split('\n');
  const w = Math.max(1, Math.floor(width));
  const hang = visibleWidth(indent) * 2 <= w ? indent : '';
  return carryColours(text.split('\n').flatMap((para) => (visibleWidth(para) <= w ? [para] : wrapParagraph(para, w, hang))));
}

/** An SGR code's first parameter → the opening codes it closes (`22` ends bold and dim). */
const CLOSES: Record<string, RegExp> = {
  '22': /^[12]$/,
  '23': /^3$/,
  '24': /^4$/,
  '27': /^7$/,
  '28': /^8$/,
  '29': /^9$/,
  '39': /^(3[0-8]|9[0-7])$/,
  '49': /^(4[0-8]|10[0-7])$/,
};
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes this follows
const SGR = /\x1b\[([0-9;]*)m/g;

/**
 * Each line closes the colours still open at its end and the next reopens
 * them, so a colour that spans a break never paints a table border or the
 * next column (cli-table3 carries bold and foreground colours, not dim).
 */
function carryColours(lines: string[]): string[] {
  let open: string[] = []; // the codes in force, as written
  return lines.map((line) => {
    const out = open.join('') + line;
    for (const [code, params = ''] of line.matchAll(SGR)) {
      const first = params.split(';')[0] ?? '';
      const closes = CLOSES[first];
      if (first === '' || first === '0') open = [];
      else if (closes !== undefined) open = open.filter((o) => !closes.test(o.slice(2).split(/[;m]/)[0] ?? ''));
      else open.push(code);
    }
    return open.length > 0 ? `${out}\x1b[0m` : out;
  });
}

function wrapParagraph(para: string, width: number, indent: string): string[] {
  const indentW = visibleWidth(indent);
  const parts = para.split(/( +)/); // words at even indices, the spaces between them at odd ones
  const lines: string[] = [];
  let line = '';
  let used = 0;
  let hasWord = false;
  const flush = () => {
    lines.push(line);
    line = indent;
    used = indentW;
    hasWord = false;
  };
  for (let i = 0; i < parts.length; i += 2) {
    const word = parts[i] ?? '';
    // Spaces are kept between words and at the very start (indentation); a wrapped line starts with `indent` instead.
    const sep = hasWord || lines.length === 0 ? (parts[i - 1] ?? '') : '';
    const w = visibleWidth(word);
    if (used + sep.length + w <= width) {
      line += sep + word;
      used += sep.length + w;
      hasWord ||= w > 0;
      continue;
    }
    if (hasWord) flush();
    if (used + w <= width) {
      line += word;
      used += w;
      hasWord = true;
      continue;
    }
    breakWord(word, Math.max(1, width - Math.max(used, indentW))).forEach((piece, k) => {
      if (k > 0) flush();
      line += piece;
      used += visibleWidth(piece);
      hasWord = true;
    });
  }
  lines.push(line);
  return lines;
}

/** A word in pieces of at most `room` columns, each ending after a soft break character when there is one. */
function breakWord(word: string, room: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let count = 0;
  let soft: { at: number; count: number } | null = null;
  for (const g of word.match(GLYPH) ?? []) {
    const visible = g.length === 1 || !g.startsWith('\x1b');
    if (visible && count === room) {
      if (soft !== null && soft.count < count) {
        pieces.push(piece.slice(0, soft.at));
        piece = piece.slice(soft.at);
        count -= soft.count;
      } else {
        pieces.push(piece);
        piece = '';
        count = 0;
      }
      soft = null;
    }
    piece += g;
    if (!visible) continue;
    count++;
    if (SOFT.has(g)) soft = { at: piece.length, count };
  }
  pieces.push(piece);
  return pieces;
}
