/** A row's `input_sha256` in Node: sha256 (hex) over feed-digest.ts's chunks, for feeds in input order. */
import { createHash } from 'node:crypto';
import type { Feeds } from './contract.ts';
import { feedsDigestParts } from './feed-digest.ts';

export function feedsSha256(feeds: Feeds, order: readonly string[]): string {
  const h = createHash('sha256');
  for (const part of feedsDigestParts(feeds, order)) h.update(part);
  return h.digest('hex');
}
