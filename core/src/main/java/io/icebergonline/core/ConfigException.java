package io.icebergonline.core;

/**
 * A configuration problem found at start-up. The message always starts with the key path
 * (for example {@code feature_views[0].buckets}) and says what was expected, so a user can fix
 * the file without reading a stack trace. Values taken from environment variables are never
 * echoed, because they are usually secrets.
 */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String path;

  public ConfigException(String path, String problem) {
    super(path + ": " + problem);
    this.path = path;
  }

  /** The key path the problem is about, e.g. {@code online_store.uri}. */
  public String path() {
    return path;
  }
}
