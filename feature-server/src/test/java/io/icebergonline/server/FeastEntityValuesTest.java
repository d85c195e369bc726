package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeastValueType;
import java.util.stream.Stream;
import org.apache.flink.table.data.StringData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Join key values converted as Feast's server converts them (feast-dev/feast v0.66.0 {@code
 * sdk/python/feast/type_map.py}: INT32/INT64 through Python's {@code int()}, STRING through {@code
 * str()}), and refused, naming key and index, where Feast fails or would read another key.
 */
class FeastEntityValuesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> converted() {
    return Stream.of(
        Arguments.of(FeastValueType.INT64, "1001", 1001L),
        Arguments.of(FeastValueType.INT64, "\"1001\"", 1001L),
        Arguments.of(FeastValueType.INT64, "\" 1_001 \"", 1001L),
        Arguments.of(FeastValueType.INT64, "\"+7\"", 7L),
        Arguments.of(FeastValueType.INT64, "\"-0042\"", -42L),
        Arguments.of(FeastValueType.INT64, "1001.0", 1001L),
        Arguments.of(FeastValueType.INT64, "9223372036854775807", Long.MAX_VALUE),
        Arguments.of(FeastValueType.INT32, "\"7\"", 7),
        Arguments.of(FeastValueType.INT32, "-2147483648", Integer.MIN_VALUE),
        Arguments.of(FeastValueType.STRING, "\"alice\"", StringData.fromString("alice")),
        Arguments.of(FeastValueType.STRING, "42", StringData.fromString("42")),
        Arguments.of(FeastValueType.STRING, "\"\"", StringData.fromString("")));
  }

  @ParameterizedTest
  @MethodSource("converted")
  void aJoinKeyValueIsConvertedAsFeastsTypeMapConvertsIt(FeastValueType type, String json, Object expected)
      throws Exception {
    assertThat(FeastValues.entityKey(type, JSON.readTree(json), "entities.k[3]")).isEqualTo(expected);
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of(FeastValueType.INT64, "null", "entities.k[3]: a join key value must not be null"),
        Arguments.of(FeastValueType.INT64, "\"1e3\"", "entities.k[3]: expected INT64, got \"1e3\""),
        Arguments.of(FeastValueType.INT64, "\"1__0\"", "entities.k[3]: expected INT64, got \"1__0\""),
        Arguments.of(FeastValueType.INT64, "1001.5", "entities.k[3]: expected INT64, got 1001.5"),
        Arguments.of(FeastValueType.INT64, "true", "entities.k[3]: expected INT64, got true"),
        Arguments.of(FeastValueType.INT64, "[1001]", "entities.k[3]: expected INT64, got [1001]"),
        Arguments.of(FeastValueType.INT64, "{}", "entities.k[3]: expected INT64, got {}"),
        Arguments.of(FeastValueType.INT64, "9223372036854775808",
            "entities.k[3]: 9223372036854775808 is out of range for INT64"),
        Arguments.of(FeastValueType.INT32, "\"2147483648\"", "entities.k[3]: \"2147483648\" is out of range for INT32"),
        Arguments.of(FeastValueType.STRING, "1.5", "entities.k[3]: expected STRING, got 1.5"),
        Arguments.of(FeastValueType.STRING, "false", "entities.k[3]: expected STRING, got false"),
        Arguments.of(FeastValueType.BYTES, "\"%%\"", "entities.k[3]: expected base64 bytes, got \"%%\""));
  }

  @ParameterizedTest
  @MethodSource("refused")
  void aJoinKeyValueFeastCannotReadOrWouldReadAsAnotherKeyIsRefusedNamingKeyAndIndex(FeastValueType type,
      String json, String message) {
    assertThatThrownBy(() -> FeastValues.entityKey(type, JSON.readTree(json), "entities.k[3]"))
        .isInstanceOfSatisfying(RequestException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageStartingWith(message);
  }
}
