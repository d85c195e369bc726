package io.icebergonline.core;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Decides which configuration values are secrets, so that logs and messages never show them. */
public final class Secrets {
  private static final String[] SECRET_MARKERS = {"secret", "password", "token", "credential", "session-key", "sasl.jaas"};

  private Secrets() {}

  public static boolean isSecretKey(String key) {
    String lower = key.toLowerCase(Locale.ROOT);
    for (String marker : SECRET_MARKERS) {
      if (lower.contains(marker)) {
        return true;
      }
    }
    return false;
  }

  /** A sorted copy of {@code properties} with secret values replaced by {@code ******}. */
  public static Map<String, String> mask(Map<String, String> properties) {
    Map<String, String> masked = new TreeMap<>();
    properties.forEach((key, value) -> masked.put(key, isSecretKey(key) ? "******" : value));
    return masked;
  }
}
