/**
 * The protobuf wire format of a message, as a tree of fields with their byte offsets, and edits
 * that keep the enclosing messages' length prefixes consistent. The import fuzz uses it to mutate
 * the fields protobuf parsers trust: tags (field number, wire type) and length prefixes.
 *
 * Wire format: a field is a varint tag (fieldNumber << 3 | wireType), then its payload: a varint
 * (type 0), 8 bytes (1), a varint length and that many bytes (2, LEN), or 4 bytes (5). A LEN
 * payload may be a nested message, a string, bytes or a packed array; `parseFields` guesses a
 * message when the payload parses cleanly, to the byte, with field numbers of a plausible size.
 */

export interface WireField {
  fieldNumber: number;
  wireType: number;
  /** Offset of the tag. */
  start: number;
  /** Offset of the length varint (LEN) or the payload. */
  tagEnd: number;
  /** Offset of the payload (after the length varint for LEN). */
  valueStart: number;
  /** Offset after the payload. */
  end: number;
  /** Nesting depth: 0 for the top-level message's fields. */
  depth: number;
  /** The fields of a LEN payload that parses as a message. */
  children?: WireField[];
}

/** Field numbers above this are taken to mean "not a message" (ONNX's largest is 23). */
const MAX_FIELD = 64;

function readVarint(b: Uint8Array, at: number, end: number): [value: number, next: number] | undefined {
  let v = 0;
  let mul = 1;
  for (let i = at; i < end && i < at + 10; i++) {
    v += (b[i] & 0x7f) * mul;
    if (b[i] < 0x80) return [v, i + 1];
    mul *= 128;
  }
  return undefined;
}

/** The varint encoding of a non-negative integer up to 2^53. */
export function encodeVarint(v: number): Uint8Array {
  const out: number[] = [];
  let x = v;
  while (x >= 0x80) {
    out.push((x % 128) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
  return Uint8Array.from(out);
}

/** The fields of b[start, end) as a message, or undefined when they do not parse to the byte. */
export function parseFields(b: Uint8Array, start = 0, end = b.length, depth = 0): WireField[] | undefined {
  const fields: WireField[] = [];
  let at = start;
  while (at < end) {
    const tag = readVarint(b, at, end);
    if (!tag) return undefined;
    const [t, tagEnd] = tag;
    const fieldNumber = Math.floor(t / 8);
    const wireType = t % 8;
    if (fieldNumber < 1 || fieldNumber > MAX_FIELD) return undefined;
    let valueStart = tagEnd;
    let fieldEnd: number;
    let children: WireField[] | undefined;
    if (wireType === 0) {
      const v = readVarint(b, tagEnd, end);
      if (!v) return undefined;
      fieldEnd = v[1];
    } else if (wireType === 1) fieldEnd = tagEnd + 8;
    else if (wireType === 5) fieldEnd = tagEnd + 4;
    else if (wireType === 2) {
      const len = readVarint(b, tagEnd, end);
      if (!len) return undefined;
      valueStart = len[1];
      fieldEnd = valueStart + len[0];
      if (fieldEnd > end) return undefined;
      // NOTE: raw tensor bytes usually fail to parse within a few bytes (a field number of 0 or over 64, a wire type of 3, 4, 6 or 7).
      if (len[0] > 0 && depth < 12) children = parseFields(b, valueStart, fieldEnd, depth + 1);
    } else return undefined;
    if (fieldEnd > end) return undefined;
    fields.push({ fieldNumber, wireType, start: at, tagEnd, valueStart, end: fieldEnd, depth, children });
    at = fieldEnd;
  }
  return fields;
}

/** Every field of the tree, depth first. */
export function allFields(fields: WireField[]): WireField[] {
  const out: WireField[] = [];
  const walk = (fs: WireField[]) => {
    for (const f of fs) {
      out.push(f);
      if (f.children) walk(f.children);
    }
  };
  walk(fields);
  return out;
}

/** The LEN fields whose payload contains [a, b), innermost first. */
function ancestorsOf(fields: WireField[], a: number, b: number): WireField[] {
  const out: WireField[] = [];
  let level: WireField[] | undefined = fields;
  while (level) {
    // NOTE: a field's own tag starts before its payload, so the edited field never matches itself.
    const parent: WireField | undefined = level.find((f) => f.wireType === 2 && f.valueStart <= a && b <= f.end);
    if (!parent) break;
    out.unshift(parent);
    level = parent.children;
  }
  return out;
}

/**
 * Replaces b[a, end) by `replacement`. With `fixLengths`, every enclosing message's length
 * prefix is rewritten for the new size (so the edit is local, the rest still parses as before);
 * without, the enclosing lengths are left stale.
 */
export function splice(b: Uint8Array, fields: WireField[], a: number, end: number, replacement: Uint8Array, fixLengths: boolean): Uint8Array {
  // Edits as (from, to, bytes), all on original offsets, applied right to left.
  const edits: [number, number, Uint8Array][] = [[a, end, replacement]];
  if (fixLengths) {
    let delta = replacement.length - (end - a);
    // Innermost first: each ancestor's new length includes the inner ancestors' varint growth.
    for (const p of ancestorsOf(fields, a, end)) {
      const oldLen = p.end - p.valueStart;
      const enc = encodeVarint(oldLen + delta);
      edits.push([p.tagEnd, p.valueStart, enc]);
      delta += enc.length - (p.valueStart - p.tagEnd);
    }
  }
  edits.sort((x, y) => y[0] - x[0]);
  let out = b;
  for (const [from, to, bytes] of edits) {
    const next = new Uint8Array(out.length - (to - from) + bytes.length);
    next.set(out.subarray(0, from), 0);
    next.set(bytes, from);
    next.set(out.subarray(to), from + bytes.length);
    out = next;
  }
  return out;
}
