package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** values.schema.json: Helm refuses to render (or lint) values of the wrong type or with unknown keys. */
class ValuesSchemaTest {
  private static final ChartUnderTest CHART = new ChartUnderTest();

  /** Each case: what is wrong, a values file saying it, and the part of Helm's message that points at it. */
  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("parallelism as a word", "job:\n  parallelism: two\n", "at '/job/parallelism': got string, want integer"),
        Arguments.of("unknown top-level key", "parallelism: 2\n", "additional properties 'parallelism' not allowed"),
        Arguments.of("unknown nested key", "onlineStore:\n  catalogTyp: rest\n", "additional properties 'catalogTyp' not allowed"),
        Arguments.of("unknown catalog type", "onlineStore:\n  catalogType: s3\n", "at '/onlineStore/catalogType': value must be one of"),
        Arguments.of("REST catalog without uri", "onlineStore:\n  uri: \"\"\n", "at '/onlineStore/uri': minLength"),
        Arguments.of("unknown upgrade mode", "job:\n  upgradeMode: lastState\n", "at '/job/upgradeMode': value must be one of"),
        Arguments.of("checkpoint interval without unit", "job:\n  checkpointInterval: 30\n", "at '/job/checkpointInterval': got number, want string"),
        Arguments.of("memory as a number", "taskManager:\n  resource:\n    memory: 4096\n", "at '/taskManager/resource/memory': got number, want string"),
        Arguments.of("no feature view", "featureViews: []\n", "at '/featureViews': minItems"),
        Arguments.of("feature view key in the job's snake_case", """
            featureViews:
              - name: trips
                topic: trips
                entities: [{name: driver_id, type: INT64}]
                features: [{name: trips, type: INT64}]
                timestamp_field: ts
            """, "at '/featureViews/0': additional properties 'timestamp_field' not allowed"),
        Arguments.of("entity of a feature-only type", """
            featureViews:
              - name: trips
                topic: trips
                entities: [{name: driver_id, type: DOUBLE}]
                features: [{name: trips, type: INT64}]
            """, "at '/featureViews/0/entities/0/type': value must be one of 'INT32', 'INT64', 'STRING', 'BYTES'"),
        Arguments.of("unknown feature type", """
            featureViews:
              - name: trips
                topic: trips
                entities: [{name: driver_id, type: INT64}]
                features: [{name: trips, type: LONG}]
            """, "at '/featureViews/0/features/0/type': value must be one of"),
        Arguments.of("enrichment job name that is no DNS label", """
            enrichmentJobs:
              - name: Enrich_Orders
                sql: SELECT 1;
            """, "at '/enrichmentJobs/0/name'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void templateRejects(String problem, String valuesYaml, String message, @TempDir Path dir) throws IOException {
    Path values = Files.writeString(dir.resolve("values.yaml"), valuesYaml);

    assertThatThrownBy(() -> CHART.render(values))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining(message);
  }

  @Test
  void strictLintRejectsValuesTheSchemaRejects(@TempDir Path dir) throws IOException {
    Path values = Files.writeString(dir.resolve("bad-values.yaml"), "job:\n  parallelism: two\n");

    LintResult result = ChartUnderTest.lintStrict(dir, values);

    assertThat(result.isFailed()).isTrue();
    assertThat(String.join("\n", result.getMessages())).contains("at '/job/parallelism': got string, want integer");
  }
}
