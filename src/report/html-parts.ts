/**
 * Small pieces of HTML shared by the report's sections: escaping, tables, and the wrapper that
 * names a chart so a reader (and the browser test) can find it.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) made safe to put in HTML. */
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** A table with a header row; cells are escaped unless given as `{ html }`. */
export function table(head: string[], rows: (string | number | { html: string })[][], cls = ''): string {
  const cell = (c: string | number | { html: string }) => (typeof c === 'object' ? c.html : esc(c));
  return (
    `<table${cls ? ` class="${esc(cls)}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`
  );
}

/** A chart's SVG in a figure named `data-chart="<name>"`, with an optional caption. */
export function chart(name: string, svg: string, caption = ''): string {
  return `<figure class="chart" data-chart="${esc(name)}">${svg}${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
}

/** A section of the page with its anchor, heading and body. */
export function section(id: string, title: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/** A number with `digits` significant digits, or '' when absent. */
export function fmt(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? '' : String(Number(v.toPrecision(digits)));
}
