/**
 * Text in a Markdown table cell (compare's report, `$GITHUB_STEP_SUMMARY`, `bench --export-markdown`).
 * A name comes from the user or a model: `|` would end the cell and a newline the row, and raw HTML
 * renders (`<img src=x onerror=...>`; an unclosed `<details open>` swallows the rest of a job
 * summary), so `\\`, `|`, `&`, `<` and `>` are escaped and line breaks become spaces.
 */
export function mdCell(s: string): string {
  return mdText(s).replace(/>/g, '&gt;');
}

/** Our own sentences that may quote a name (reasons): `&` and `<` suffice to open no element, and '->' stays readable. */
export function mdText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}
