package io.icebergonline.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.iceberg.IcebergBuild;
import org.apache.kafka.common.utils.AppInfoParser;

/** Facts about the machine and the software a run measured, for the report. */
final class Machine {
  private Machine() {}

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** CPU time of this JVM's threads so far: a run's mini-cluster runs in it. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static Map<String, String> facts() {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("CPU cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    cpuModel().ifPresent(model -> facts.put("CPU", model));
    facts.put("Memory", gib(os.getTotalMemorySize()) + " GiB");
    facts.put("JVM max heap", gib(Runtime.getRuntime().maxMemory()) + " GiB");
    facts.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    facts.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    return facts;
  }

  /**
   * The CPU's model name and clock as Linux reports them: virtual machines of the same size differ
   * in speed from one to the next, so runs on different ones compare by ratios only.
   */
  private static Optional<String> cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      Map<String, String> first = new LinkedHashMap<>();
      lines.map(line -> line.split("\\s*:\\s*", 2)).filter(pair -> pair.length == 2)
          .forEach(pair -> first.putIfAbsent(pair[0].trim(), pair[1].trim()));
      String model = first.get("model name");
      String mhz = first.get("cpu MHz");
      return model == null ? Optional.empty() : Optional.of(model + (mhz == null ? "" : " at " + mhz + " MHz"));
    } catch (IOException | UncheckedIOException e) {
      return Optional.empty(); // not Linux
    }
  }

  static Map<String, String> versions() {
    Map<String, String> versions = new LinkedHashMap<>();
    versions.put("Apache Flink", EnvironmentInformation.getVersion());
    versions.put("Apache Iceberg", IcebergBuild.version());
    versions.put("Kafka clients (embedded KRaft broker)", AppInfoParser.getVersion());
    return versions;
  }

  private static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024 * 1024));
  }
}
