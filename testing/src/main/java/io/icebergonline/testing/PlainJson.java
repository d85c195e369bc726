package io.icebergonline.testing;

import com.fasterxml.jackson.databind.JsonNode;

/** JSON values as {@link NewestRowOracle} and {@link TableRows} hold feature values, for comparing JSON output with them. */
public final class PlainJson {
  private PlainJson() {}

  /** null (missing or JSON null), Long (integral numbers), Double (other numbers) or String. */
  public static Object value(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isIntegralNumber()) {
      return node.longValue();
    }
    return node.isNumber() ? (Object) node.doubleValue() : node.asText();
  }
}
