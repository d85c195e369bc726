package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request body read as Feast's pydantic model reads it ({@code GetOnlineFeaturesRequest} in
 * feast-dev/feast {@code sdk/python/feast/feature_server.py}, the same at v0.63.0 and v0.66.0):
 * unknown fields ignored, pydantic's lax booleans, FastAPI's 422 naming the field otherwise.
 */
class GetOnlineFeaturesRequestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static GetOnlineFeaturesRequest parse(String body) {
    return GetOnlineFeaturesRequest.parse(body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theFieldsOfFeast066AndOfTheGoServerAreReadAndUnknownOnesIgnored() throws Exception {
    GetOnlineFeaturesRequest request = parse("""
        {"entities": {"driver_id": [1001, "1002", null]}, "full_feature_names": true,
         "include_feature_view_version_metadata": false, "feature_service": "driver_activity",
         "request_context": {"val_to_add": [1, 2, 3]}, "some_future_field": {"x": [1]}}""");

    assertThat(request.entities()).containsOnlyKeys("driver_id");
    assertThat(request.entities().get("driver_id")).containsExactly(JSON.readTree("1001"), JSON.readTree("\"1002\""),
        JSON.readTree("null"));
    assertThat(request.fullFeatureNames()).isTrue();
    assertThat(request.includeFeatureViewVersionMetadata()).isFalse();
    assertThat(request.featureService()).isEqualTo("driver_activity");
    assertThat(request.features()).isEmpty();
    assertThat(request.requestContext()).containsOnlyKeys("val_to_add");
  }

  @Test
  void absentFieldsTakeTheModelsDefaults() {
    GetOnlineFeaturesRequest request = parse("{\"entities\": {\"driver_id\": [1]}, \"features\": [\"v:f\"]}");

    assertThat(request.features()).containsExactly("v:f");
    assertThat(request.featureService()).isNull();
    assertThat(request.fullFeatureNames()).isFalse();
    assertThat(request.includeFeatureViewVersionMetadata()).isFalse();
    assertThat(request.requestContext()).isEmpty();
  }

  static Stream<Arguments> laxBooleans() {
    return Stream.of(Arguments.of("true", true), Arguments.of("false", false), Arguments.of("1", true),
        Arguments.of("0", false), Arguments.of("1.0", true), Arguments.of("\"yes\"", true), Arguments.of("\"Off\"", false),
        Arguments.of("\"T\"", true), Arguments.of("\"n\"", false));
  }

  @ParameterizedTest
  @MethodSource("laxBooleans")
  void fullFeatureNamesTakesWhatPydanticsBoolTakes(String json, boolean expected) {
    assertThat(parse("{\"entities\": {}, \"full_feature_names\": " + json + "}").fullFeatureNames()).isEqualTo(expected);
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("", List.of("body"), "missing"),
        Arguments.of("{\"entities\": {", List.of("body"), "json_invalid"),
        Arguments.of("[1]", List.of("body"), "model_attributes_type"),
        Arguments.of("{}", List.of("body", "entities"), "missing"),
        Arguments.of("{\"entities\": null}", List.of("body", "entities"), "dict_type"),
        Arguments.of("{\"entities\": [1]}", List.of("body", "entities"), "dict_type"),
        Arguments.of("{\"entities\": {\"a\": 1}}", List.of("body", "entities", "a"), "list_type"),
        Arguments.of("{\"entities\": {\"a\": null}}", List.of("body", "entities", "a"), "list_type"),
        Arguments.of("{\"entities\": {}, \"features\": null}", List.of("body", "features"), "list_type"),
        Arguments.of("{\"entities\": {}, \"features\": [\"v:f\", 3]}", List.of("body", "features", 1), "string_type"),
        Arguments.of("{\"entities\": {}, \"features\": [null]}", List.of("body", "features", 0), "string_type"),
        Arguments.of("{\"entities\": {}, \"feature_service\": 5}", List.of("body", "feature_service"), "string_type"),
        Arguments.of("{\"entities\": {}, \"full_feature_names\": null}", List.of("body", "full_feature_names"),
            "bool_parsing"),
        Arguments.of("{\"entities\": {}, \"full_feature_names\": 2}", List.of("body", "full_feature_names"),
            "bool_parsing"),
        Arguments.of("{\"entities\": {}, \"include_feature_view_version_metadata\": \"maybe\"}",
            List.of("body", "include_feature_view_version_metadata"), "bool_parsing"),
        Arguments.of("{\"entities\": {}, \"request_context\": {\"r\": 1}}", List.of("body", "request_context", "r"),
            "list_type"));
  }

  @ParameterizedTest
  @MethodSource("refused")
  void aBodyNotFittingTheModelIsFastApisValidationErrorNamingTheField(String body, List<Object> loc, String type) {
    assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(RequestException.class, e -> {
      assertThat(e.status()).isEqualTo(422);
      assertThat(e.body().at("/detail/0/type").asText()).isEqualTo(type);
      assertThat(e.body().at("/detail/0/loc")).isEqualTo(JSON.valueToTree(loc));
    });
  }
}
