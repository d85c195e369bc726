package io.icebergonline.lookup;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.RestCatalogOnS3;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;

/**
 * The thin connector jar beside Iceberg's own {@code iceberg-flink-runtime-2.1}, as in a Flink
 * {@code lib/} that already holds it: a JVM whose classpath has Flink, Hadoop and the AWS SDK, the
 * thin jar, and the runtime jar as the only Iceberg, runs a lookup join and a scan through the
 * catalog. Runs after {@code package} (failsafe), when the thin jar exists.
 */
class ThinConnectorJarIT {
  private static final Path THIN_JAR = Path.of(System.getProperty("thin.jar"));
  private static final Path ICEBERG_RUNTIME_JAR = Path.of(System.getProperty("iceberg.runtime.jar"));

  @Test
  void aLookupJoinAndAScanRunWithTheThinJarAndIcebergsRuntimeJarAsTheOnlyIceberg() throws Exception {
    try (RestCatalogOnS3 server = RestCatalogOnS3.start()) {
      Catalog catalog = server.newClient("online_catalog");
      Table table = OnlineTables.createOrVerify(catalog, "feast_online", LookupJoinHarness.driverStats("driver_stats", null));
      GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
      Map<Long, String> expected = new HashMap<>();
      for (int commit = 0; commit < 2; commit++) {
        List<Record> rows = new ArrayList<>();
        for (long id = 1; id <= 30; id += commit + 1) {
          rows.add(LookupJoinHarness.driver(writer, id, id, "v" + commit + "-" + id, OffsetDateTime.now(ZoneOffset.UTC)));
          expected.put(id, "v" + commit + "-" + id);
        }
        writer.upsert(rows);
      }

      String fileIo = RestCatalogOnS3.fileIoProperties(server.s3Endpoint()).entrySet().stream()
          .map(entry -> "'catalog." + entry.getKey() + "' = '" + entry.getValue() + "'")
          .collect(Collectors.joining(", "));
      String probes = java.util.stream.LongStream.rangeClosed(1, 35)
          .mapToObj(id -> "(CAST(" + id + " AS BIGINT))").collect(Collectors.joining(", "));
      List<String> output = runWithThinJar(
          "CREATE CATALOG online WITH ('type' = 'iceberg-online', 'catalog-type' = 'rest', 'uri' = '" + server.uri()
              + "', " + fileIo + ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '100')",
          "CREATE TEMPORARY VIEW probes AS SELECT id, PROCTIME() AS pt FROM (VALUES " + probes + ") AS t(id)",
          "SELECT p.id, d.city FROM probes AS p LEFT JOIN online.feast_online.driver_stats "
              + "FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id",
          "SELECT driver_id, city FROM online.feast_online.driver_stats");

      assertThat(field(output, "CONNECTOR")).endsWith(THIN_JAR.getFileName().toString());
      assertThat(field(output, "ICEBERG")).endsWith(ICEBERG_RUNTIME_JAR.getFileName().toString());
      Map<Long, String> joined = rowsOf(output, 2);
      assertThat(joined.keySet()).hasSize(35);
      for (long id = 1; id <= 35; id++) {
        assertThat(joined.get(id)).as("driver %d", id).isEqualTo(expected.getOrDefault(id, "null"));
      }
      assertThat(rowsOf(output, 3)).isEqualTo(expected);
    }
  }

  /** Runs {@link SqlStatementsMain} in a JVM with the thin jar and Iceberg's runtime jar; returns its output lines. */
  private static List<String> runWithThinJar(String... statements) throws Exception {
    List<String> classpath = new ArrayList<>(List.of(THIN_JAR.toString(), ICEBERG_RUNTIME_JAR.toString()));
    for (String entry : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
        .split(File.pathSeparator)) {
      if (!isIcebergOrOurs(Path.of(entry))) {
        classpath.add(entry);
      }
    }
    assertThat(classpath.stream().filter(entry -> Path.of(entry).getFileName().toString().startsWith("iceberg-")))
        .as("Iceberg's jars on the classpath").containsExactly(ICEBERG_RUNTIME_JAR.toString());

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(argument -> argument.startsWith("--add-opens") || argument.startsWith("--add-exports"))
        .forEach(command::add);
    command.addAll(List.of("-Xmx1g", "-cp", String.join(File.pathSeparator, classpath), SqlStatementsMain.class.getName()));
    command.addAll(Arrays.asList(statements));
    Path log = Files.createTempFile("thin-jar", ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(process.waitFor(10, TimeUnit.MINUTES)).as("the SQL JVM ends").isTrue();
    List<String> output = Files.readAllLines(log);
    assertThat(process.exitValue()).as("exit code; output:\n%s", String.join("\n", output)).isZero();
    return output;
  }

  /**
   * Iceberg's jars, Parquet and Caffeine (which the thin jar takes from the runtime jar or carries),
   * and this project's classes and jars other than its test classes (which hold {@link SqlStatementsMain}).
   */
  private static boolean isIcebergOrOurs(Path entry) {
    String path = entry.toString().replace(File.separatorChar, '/');
    String name = entry.getFileName().toString();
    return path.contains("/org/apache/iceberg/") || path.contains("/org/apache/parquet/")
        || path.contains("/com/github/ben-manes/") || path.endsWith("/target/classes")
        || name.startsWith("iceberg-online-") || name.startsWith("flink-sql-connector-iceberg-online")
        || name.startsWith("original-flink-sql-connector-iceberg-online");
  }

  private static String field(List<String> output, String tag) {
    return output.stream().filter(line -> line.startsWith(tag + "\t")).findFirst()
        .orElseThrow(() -> new AssertionError("no " + tag + " line in\n" + String.join("\n", output)))
        .substring(tag.length() + 1);
  }

  /** Rows {@code id, city} of one statement. */
  private static Map<Long, String> rowsOf(List<String> output, int statement) {
    Map<Long, String> rows = new HashMap<>();
    for (String line : output) {
      String[] fields = line.split("\t");
      if (fields[0].equals("ROW") && Integer.parseInt(fields[1]) == statement) {
        assertThat(rows.put(Long.parseLong(fields[2]), fields[3])).as("one row per id: %s", line).isNull();
      }
    }
    return rows;
  }
}
