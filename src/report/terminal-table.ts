/**
 * Tables that fit the terminal (cli-table3), with long reasons moved below as numbered notes
 * (identical texts share one number).
 *
 * Width: `COLUMNS` when set, else the TTY's width, else 100 (piped output with no `COLUMNS`).
 * A table's width is `sum(column widths) + columns + 1` (one border per column plus the last),
 * each column being its widest cell plus one space of padding either side. While that exceeds the
 * width, `wrap` columns are narrowed (widest first, to 24 at least) and word-wrapped by cli-table3;
 * if that is not enough, the column with the highest `drop` rank goes (rank 0 never does); when
 * only rank-0 columns are left, the `wrap` columns narrow down to 8.
 * No colour ever: `style: { head: [], border: [] }` (no red headers, no escape codes in pipes).
 * Lists below a table (doctor's environment line) break between items, never inside one that
 * fits a line (`wrapList`), so "node 20.20.2" stays whole at any width and whatever the length of
 * the items before it (the kernel or CPU string of the machine).
 */
import Table from 'cli-table3';

/** cli-table3 draws in colour by default (red headers, grey borders); melbench's tables never do. */
export const PLAIN_STYLE = { head: [] as string[], border: [] as string[] };

export interface TableColumn {
  head: string;
  /** 0: always shown; higher ranks are dropped first when the table is too wide. */
  drop?: number;
  /** May be narrowed and word-wrapped. */
  wrap?: boolean;
  /** Non-empty cells become `[k]`, with the text as note k below the table. */
  note?: boolean;
}

const PIPED_WIDTH = 100;
const MIN_WRAP = 8;
const COMFORT_WRAP = 24;

/** The width output must fit in (see the header). */
export function terminalWidth(env: NodeJS.ProcessEnv = process.env, stdout: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const c = Number(env.COLUMNS);
  if (env.COLUMNS && Number.isInteger(c) && c > 0) return c;
  if (stdout.isTTY && stdout.columns) return stdout.columns;
  return PIPED_WIDTH;
}

/** Greedy word wrap; words longer than the width are cut. */
export function wrapText(s: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  let line = '';
  for (let word of s.split(/\s+/).filter(Boolean)) {
    while (word.length > w) {
      if (line) out.push(line), (line = '');
      out.push(word.slice(0, w));
      word = word.slice(w);
    }
    if (!word) continue;
    if (!line) line = word;
    else if (line.length + 1 + word.length <= w) line += ` ${word}`;
    else out.push(line), (line = word);
  }
  if (line) out.push(line);
  return out;
}

/**
 * `head` and then `items` joined by ", ", as lines no wider than `width`: a line breaks only
 * between items (continuation lines start with `indent`); an item longer than a whole line is
 * word-wrapped inside, starting on the line it would have joined (wrapText's rule: words longer
 * than a line are cut).
 */
export function wrapList(head: string, items: readonly string[], width: number, indent = '  '): string[] {
  const w = Math.max(indent.length + 1, width);
  const lines: string[] = [];
  let line = head;
  let fresh = head === '';
  const newLine = () => {
    lines.push(line);
    line = indent;
    fresh = true;
  };
  const fitsHere = (s: string) => line.length + (fresh ? 0 : 1) + s.length <= w;
  const append = (s: string) => {
    line += fresh ? s : ` ${s}`;
    fresh = false;
  };
  items.forEach((item, k) => {
    const text = k < items.length - 1 ? `${item},` : item;
    if (fitsHere(text)) return append(text);
    if (indent.length + text.length <= w) {
      newLine();
      return append(text);
    }
    for (const word of text.split(/\s+/).filter(Boolean)) {
      let rest = word;
      while (!fitsHere(rest)) {
        if (!fresh) {
          newLine();
          continue;
        }
        const room = w - line.length;
        append(rest.slice(0, room));
        rest = rest.slice(room);
        newLine();
      }
      if (rest) append(rest);
    }
  });
  if (line.trim()) lines.push(line);
  return lines;
}

/** The table as text (with its notes), no line wider than `width`. */
export function fitTable(columns: readonly TableColumn[], rows: readonly string[][], width = terminalWidth()): string {
  const notes: string[] = [];
  const cells = rows.map((r) =>
    r.map((c, i) => {
      if (!columns[i].note || !c) return c;
      // NOTE: the same text (e.g. one reason for every batch size) shares one number.
      const k = notes.indexOf(c);
      if (k >= 0) return `[${k + 1}]`;
      notes.push(c);
      return `[${notes.length}]`;
    }),
  );
  const natural = columns.map((col, i) => Math.max(col.head.length, ...cells.map((r) => r[i].length)) + 2);
  // A notes column with no note is left out.
  let keep = columns.map((_, i) => i).filter((i) => !columns[i].note || cells.some((r) => r[i] !== ''));
  const total = (w: readonly number[]) => keep.reduce((s, i) => s + w[i], 0) + keep.length + 1;
  // Narrows the wrappable columns, widest first, down to `floor` each; returns the widths.
  const narrowed = (floor: number) => {
    const w = [...natural];
    for (;;) {
      const over = total(w) - width;
      const i = keep.filter((k) => columns[k].wrap && w[k] > floor).sort((a, b) => w[b] - w[a])[0];
      if (over <= 0 || i === undefined) return w;
      w[i] = Math.max(floor, w[i] - over);
    }
  };
  // Wrap down to a comfortable width before dropping a column; drop by rank, highest first
  // (the later column among equals); then wrap down to the minimum.
  for (;;) {
    if (total(narrowed(COMFORT_WRAP)) <= width) break;
    const victim = [...keep].reverse().reduce((v, i) => ((columns[i].drop ?? 0) > (v < 0 ? 0 : columns[v].drop ?? 0) ? i : v), -1);
    if (victim < 0) break;
    keep = keep.filter((i) => i !== victim);
  }
  const widths = total(narrowed(COMFORT_WRAP)) <= width ? narrowed(COMFORT_WRAP) : narrowed(MIN_WRAP);
  const t = new Table({
    head: keep.map((i) => columns[i].head),
    colWidths: keep.map((i) => widths[i]),
    wordWrap: true,
    style: PLAIN_STYLE,
  });
  for (const r of cells) t.push(keep.map((i) => r[i]));
  const noteLines = notes.flatMap((n, k) => {
    const tag = `[${k + 1}] `;
    return wrapText(n, width - tag.length).map((l, j) => (j === 0 ? tag : ' '.repeat(tag.length)) + l);
  });
  return `${t.toString()}\n${noteLines.map((l) => `${l}\n`).join('')}`;
}
