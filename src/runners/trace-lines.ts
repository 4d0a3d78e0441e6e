/**
 * ORT-web's profile as it prints it: its WASM profiler writes each Chrome trace event as a line of
 * JSON to stdout, which Node receives through `fs.writeSync(1, ...)` (ort-web.ts) and a browser
 * page through `console.log` (browser/page-runner.ts). `TraceLines` takes those events out of the
 * text it is given and hands back what is left, so the rest of stdout or the console goes on as is.
 * Pure: no I/O, no globals.
 */

const TRACE_LINE = /^\s*\{"cat"\s*:/;
const ARRAY_BRACKET = /^\s*[[\]]\s*$/;

/**
 * One trace event as valid JSON, or undefined. NOTE: ORT writes a node's name into its event
 * unescaped, so a name holding '"' or a newline breaks the JSON (and a newline splits the event
 * over two lines, the second of which would reach stdout as is). The name sits between
 * `"name" :"` and `","args" :`; written again with JSON escapes, the event parses.
 */
export function repairTraceEvent(text: string): string | undefined {
  const event = text.trim().replace(/,$/, '');
  const parses = (t: string) => {
    try {
      JSON.parse(t);
      return true;
    } catch {
      return false;
    }
  };
  if (parses(event)) return event;
  const m = /^(.*?"name"\s*:\s*")([\s\S]*)("\s*,\s*"args"\s*:[\s\S]*)$/.exec(event);
  if (!m) return undefined;
  const fixed = `${m[1]}${JSON.stringify(m[2]).slice(1, -1)}${m[3]}`;
  return parses(fixed) ? fixed : undefined;
}

export class TraceLines {
  /** The trace event being read: it ends where the next one starts, or at the array's ']'. */
  private pending: string | undefined;

  /** `onEvent` receives each event as valid JSON; an event that cannot be repaired is dropped (never passed on). */
  constructor(private readonly onEvent: (event: string) => void) {}

  /** Takes the trace events out of `text` (one write, or one console line) and returns what is left. */
  take(text: string): string {
    const kept: string[] = [];
    // NOTE: a write's final '\n' ends its last line; it is not an empty line after it.
    for (const line of (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n')) {
      if (TRACE_LINE.test(line)) {
        this.finish();
        this.pending = line;
      } else if (ARRAY_BRACKET.test(line)) {
        // NOTE: the '[' and ']' that open and close ORT's trace array are dropped with it.
        this.finish();
      } else if (this.pending !== undefined) {
        this.pending += `\n${line}`;
      } else {
        kept.push(line);
      }
    }
    return kept.join('\n');
  }

  /** Hands on the event being read, if any. */
  finish(): void {
    if (this.pending === undefined) return;
    const event = repairTraceEvent(this.pending);
    this.pending = undefined;
    if (event) this.onEvent(event);
  }
}
