// A chart's buckets as arrays: the rows the database returns (by their k and o) found in them
// by one numeric key, and each bucket's count and value held in typed arrays — a year by hour
// is 8 760 buckets, merged from several parts, without an object or a text key per row.

import { bucketKeyOf, type Bucket } from '../chart/time.js';
import type { SeriesRequest } from './series.js';

/** Per bucket, in the buckets' order: the rows it counts, and the aggregate's value (NaN: none). */
export interface BucketValues {
  n: Float64Array;
  v: Float64Array;
}

export function emptyValues(length: number): BucketValues {
  return { n: new Float64Array(length), v: new Float64Array(length).fill(NaN) };
}

/** A row's bucket (its index) from the row's k and o: -1 when the request has no such bucket. */
export function bucketFinder(request: SeriesRequest, buckets: Bucket[]): (k: number | string, o: number | string | undefined) => number {
  const index = new Map<number, number>();
  for (let i = 0; i < buckets.length; i++) index.set(buckets[i]!.key, i);
  return (k, o) => index.get(bucketKeyOf(request.bucket, Number(k), Number(o ?? 0))) ?? -1;
}
