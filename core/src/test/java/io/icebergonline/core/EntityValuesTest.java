package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.EntityValues.Conversion;
import org.apache.flink.table.data.StringData;
import org.junit.jupiter.api.Test;

/** The two conversions of the one entity-value converter: the job's exact one and Feast's server's lenient one. */
class EntityValuesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theExactConversionTakesOnlyTheKeysOwnJsonType() throws Exception {
    assertThat(EntityValues.fromJson(FeastValueType.INT64, JSON.readTree("1001"), Conversion.EXACT)).isEqualTo(1001L);
    assertThat(EntityValues.fromJson(FeastValueType.STRING, JSON.readTree("\"a\""), Conversion.EXACT))
        .isEqualTo(StringData.fromString("a"));
    assertThatThrownBy(() -> EntityValues.fromJson(FeastValueType.INT64, JSON.readTree("\"1001\""), Conversion.EXACT))
        .hasMessage("expected INT64, got \"1001\"");
    assertThatThrownBy(() -> EntityValues.fromJson(FeastValueType.INT32, JSON.readTree("3000000000"), Conversion.EXACT))
        .hasMessage("expected INT32, got 3000000000");
    assertThatThrownBy(() -> EntityValues.fromJson(FeastValueType.STRING, JSON.readTree("7"), Conversion.EXACT))
        .hasMessage("expected STRING, got 7");
  }

  @Test
  void feastsConversionAlsoTakesWhatPythonsIntAndStrMakeOfAValue() throws Exception {
    assertThat(EntityValues.fromJson(FeastValueType.INT64, JSON.readTree("\"1001\""), Conversion.FEAST_TYPE_MAP))
        .isEqualTo(1001L);
    assertThat(EntityValues.fromJson(FeastValueType.INT32, JSON.readTree("7.0"), Conversion.FEAST_TYPE_MAP))
        .isEqualTo(7);
    assertThat(EntityValues.fromJson(FeastValueType.STRING, JSON.readTree("7"), Conversion.FEAST_TYPE_MAP))
        .isEqualTo(StringData.fromString("7"));
    assertThatThrownBy(() -> EntityValues.fromJson(FeastValueType.INT32, JSON.readTree("3000000000"),
        Conversion.FEAST_TYPE_MAP)).hasMessage("3000000000 is out of range for INT32");
    assertThatThrownBy(() -> EntityValues.fromJson(FeastValueType.BYTES, JSON.readTree("\"%%\""),
        Conversion.FEAST_TYPE_MAP)).hasMessage("expected base64 bytes, got \"%%\"");
  }

  @Test
  void aMessageShowsAtMostFortyCharactersOfTheValue() throws Exception {
    assertThatThrownBy(() -> EntityValues.fromJson(FeastValueType.INT64, JSON.readTree("\"" + "x".repeat(30_000) + "\""),
        Conversion.FEAST_TYPE_MAP)).hasMessage("expected INT64, got \"" + "x".repeat(39) + "...");
  }
}
