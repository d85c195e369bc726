package io.icebergonline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.NewestRowOracle;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The demo at reduced size: it ends with exit code 0 and prints the enriched orders and a summary that add up. */
class DemoTest {

  @Test
  void printsEnrichedOrdersAndASummaryThatAddUp(@TempDir Path workDir) throws Exception {
    int drivers = 300;
    int events = 6_000;
    int seed = 3;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit = Demo.run(new String[] {"--drivers", "" + drivers, "--events", "" + events, "--orders", "400", "--seed",
        "" + seed, "--work-dir", workDir.toString()}, new PrintStream(captured, true, StandardCharsets.UTF_8));
    String output = captured.toString(StandardCharsets.UTF_8);
    System.out.print(output);

    // the truth, independently: the same generated events through the oracle
    NewestRowOracle all = new NewestRowOracle();
    all.acceptAll(new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, drivers)).next(events));

    assertThat(exit).as("exit code").isZero();
    assertThat(output)
        .contains("produced 6,000 of 6,000 driver events")
        .contains("Enriched orders (first 12 of 400)")
        .containsPattern("order +driver +amount +conv_rate +trips +city +features as of")
        .contains(String.format(Locale.ROOT, "dead-lettered      %,d in driver_stats_dlq (every malformed event)",
            all.malformedCount()))
        .contains(String.format(Locale.ROOT, "live rows          %,d (equal to the newest event per driver)",
            all.liveRows().size()))
        .contains("POST /get-online-features")
        .containsPattern("feature server +get-online-features answers equal to the table")
        .containsPattern("orders enriched +400 of 400 \\(\\d+ without features; all equal to the table\\)")
        .containsPattern("lookups +400 \\(one per order: \\d+ answered by the cache, \\d+ by the live index, "
            + "\\d+ point reads on Iceberg\\)")
        .containsPattern("lookup p50 / p99 +\\d+\\.\\d{3} ms / \\d+\\.\\d{3} ms per lookup")
        .containsPattern("freshness +\\d+\\.\\d s from the last event to the complete table")
        .containsPattern("Iceberg commits +[1-9]\\d* ");
    assertThat(all.malformedCount()).as("the generator sends malformed events").isPositive();
  }

  /**
   * {@code --format avro} and {@code protobuf}: the same checks hold with the driver events as Avro
   * or Protobuf framed by a schema registry.
   */
  @ParameterizedTest
  @ValueSource(strings = {"avro", "protobuf"})
  void withEventsFramedByASchemaRegistryEverythingStillAddsUp(String format, @TempDir Path workDir) throws Exception {
    int drivers = 200;
    int events = 3_000;
    int seed = 5;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit = Demo.run(new String[] {"--drivers", "" + drivers, "--events", "" + events, "--orders", "100", "--seed",
        "" + seed, "--format", format, "--work-dir", workDir.toString()},
        new PrintStream(captured, true, StandardCharsets.UTF_8));
    String output = captured.toString(StandardCharsets.UTF_8);
    System.out.print(output);

    NewestRowOracle all = new NewestRowOracle();
    all.acceptAll(new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, drivers)).next(events));

    assertThat(exit).as("exit code").isZero();
    assertThat(output)
        .containsPattern("events produced +3,000 as " + (format.equals("avro") ? "Avro" : "Protobuf")
            + " framed by a schema registry, schema id 1 ")
        .contains(String.format(Locale.ROOT, "dead-lettered      %,d in driver_stats_dlq (every malformed event)",
            all.malformedCount()))
        .contains(String.format(Locale.ROOT, "live rows          %,d (equal to the newest event per driver)",
            all.liveRows().size()))
        .containsPattern("orders enriched +100 of 100 \\(\\d+ without features; all equal to the table\\)");
  }

  @Test
  void anUnknownFormatIsAUsageError() throws Exception {
    assertThat(Demo.run(new String[] {"--format", "xml"}, new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8))).isEqualTo(2);
  }
}
