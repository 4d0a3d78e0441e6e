/**
 * What a row's `input_sha256` hashes, as plain byte chunks, so that Node (node:crypto, sweep/feeds.ts)
 * and a browser page (WebCrypto, browser/page-entry.ts) hash the very same thing: for one input
 * its bytes; for several, in input order, each one's name, dtype and dims, then its bytes. Pure.
 */
import type { Feeds, HostTensor } from './contract.ts';

export function tensorBytes(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function feedsDigestParts(feeds: Feeds, order: readonly string[]): Uint8Array[] {
  if (order.length === 1) return [tensorBytes(feeds[order[0]])];
  const text = new TextEncoder();
  return order.flatMap((name) => {
    const t = feeds[name];
    return [text.encode(`${name}\0${t.type}\0${t.dims.join(',')}\0`), tensorBytes(t)];
  });
}
