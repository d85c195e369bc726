package io.icebergonline.reader;

/** How a reader answers lookups: from a live in-memory index of the buckets it serves, or by point reads only. */
public enum IndexMode {
  /** Each bucket's live rows in memory, built on first use and refreshed from new snapshots; point reads for the rest. */
  MEMORY,
  /** Point reads only. */
  NONE
}
