package io.icebergonline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every benchmark at the quick sizes and checks that the report, its CSVs and charts are
 * written and that the correctness columns hold (our table equals the oracle, every lookup answered
 * the newest row). No timing is asserted: timings belong in the report, not in a test.
 */
class BenchSmokeTest {
  @TempDir Path results;

  @Test
  void quickRunWritesTheReportWithCorrectResults() throws Exception {
    Path report = Bench.run("all", Sizes.quick(), StateScaleBench.Backend.ROCKSDB, results, "all --quick");

    String markdown = Files.readString(report);
    assertThat(markdown).contains("## Targets", "## Materialization", "## Storage", "## Lookups", "## Freshness",
        "## Feature server", "CPU cores", "Apache Iceberg");
    assertThat(markdown).doesNotContain("NOT MEASURED");
    for (String file : List.of("materialize.csv", "storage.csv", "lookup-latency.csv", "lookup-join.csv",
        "lookup-scale.csv", "freshness.csv", "feature-server.csv", "materialize-throughput.svg", "lookup-p99.svg", "freshness.svg")) {
      assertThat(results.resolve(file)).isNotEmptyFile();
    }

    List<Map<String, String>> materialized = csv(results.resolve("materialize.csv"));
    assertThat(materialized).hasSize(5);
    assertThat(materialized).filteredOn(row -> row.get("pipeline").startsWith("ours"))
        .hasSize(2)
        .allSatisfy(row -> assertThat(row.get("keys differing from oracle")).isEqualTo("0"));
    assertThat(csv(results.resolve("lookup-latency.csv")))
        .isNotEmpty()
        .allSatisfy(row -> assertThat(row.get("wrong answers")).isEqualTo("0"));
    assertThat(csv(results.resolve("lookup-join.csv")))
        .filteredOn(row -> row.get("cache").startsWith("NONE, asynchronous"))
        .singleElement()
        .satisfies(row -> assertThat(Double.parseDouble(row.get("enriched rows/s"))).isPositive());
    assertThat(csv(results.resolve("feature-server.csv")))
        .hasSize(8)
        .allSatisfy(row -> assertThat(row).containsEntry("failed", "0").containsEntry("wrong", "0"));
  }

  @Test
  void stateRunOnRocksDbEndsExact() throws Exception {
    Path report = Bench.run("state", Sizes.quick().withMaterializeInput(20_000, 60_000),
        StateScaleBench.Backend.ROCKSDB, results, "state --quick");

    assertThat(Files.readString(report)).contains("## State at scale", "State backend rocksdb");
    assertThat(csv(results.resolve("state.csv"))).singleElement().satisfies(row -> {
      assertThat(row.get("state backend")).isEqualTo("rocksdb");
      assertThat(row.get("live rows")).isNotEqualTo("0");
      assertThat(row.get("keys differing from oracle")).isEqualTo("0");
    });
  }

  private static List<Map<String, String>> csv(Path file) throws Exception {
    List<String> lines = Files.readAllLines(file);
    List<String> header = cells(lines.get(0));
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      List<String> cells = cells(line);
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < header.size(); i++) {
        row.put(header.get(i), cells.get(i));
      }
      rows.add(row);
    }
    return rows;
  }

  /** The cells of one CSV line (RFC 4180 quoting: "a, b" and "" inside quotes). */
  private static List<String> cells(String line) {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
        cell.append('"');
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.add(cell.toString());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    cells.add(cell.toString());
    return cells;
  }
}
