package io.icebergonline.core;

import java.util.List;

/** An existing table cannot hold a feature view; the message lists every difference found. */
public class IncompatibleTableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> differences;

  public IncompatibleTableException(String table, String view, List<String> differences) {
    super("Table " + table + " is incompatible with feature view '" + view + "': " + String.join("; ", differences)
        + ". Use another table name or migrate the table.");
    this.differences = List.copyOf(differences);
  }

  public List<String> differences() {
    return differences;
  }
}
