/** Past this many result (or proxy) columns, a side-by-side table splits into several, so every column keeps its room at 800 px. */
export const MAX_SIDE_BY_SIDE = 5;

/** Column indexes in as few tables as `max` allows, evenly filled: 11 columns → 4, 4, 3. */
export function columnGroups(n: number, max = MAX_SIDE_BY_SIDE): number[][] {
  const size = Math.ceil(n / Math.max(1, Math.ceil(n / max)));
  const groups: number[][] = [];
  for (let i = 0; i < n; i += size) groups.push(Array.from({ length: Math.min(size, n - i) }, (_, j) => i + j));
  return groups;
}

/** `<caption>` naming which columns a table of a split holds; nothing when the table holds them all. */
export function groupCaption(group: number[], n: number, what: string): string {
  if (group.length >= n) return '';
  return `<caption>${what} ${(group[0] ?? 0) + 1}–${(group[group.length - 1] ?? 0) + 1} of ${n}</caption>`;
}
