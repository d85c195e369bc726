package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** helm/Dockerfile builds the image the chart expects: the Flink version, the jar paths and the user. */
class DockerfileTest {
  private static final Pattern BASE_IMAGE = Pattern.compile("flink:(\\d+)\\.(\\d+)\\.\\d+-scala_2\\.12-java(\\d+)");

  private static List<String> instructions;
  private static JsonNode materializer;

  @BeforeAll
  static void read() throws IOException {
    instructions = Files.readAllLines(Path.of("Dockerfile")).stream()
        .filter(line -> !line.isBlank() && !line.startsWith("#") && !line.startsWith(" "))
        .toList();
    materializer = new ChartUnderTest().render().materializer();
  }

  @Test
  void buildsOnTheOfficialJava17ImageOfTheChartsFlinkVersion() {
    String from = instructions.stream().filter(line -> line.startsWith("FROM ")).findFirst().orElseThrow();
    Matcher image = BASE_IMAGE.matcher(from.substring("FROM ".length()).trim());

    assertThat(image.matches()).as(from).isTrue();
    assertThat("v" + image.group(1) + "_" + image.group(2)).isEqualTo(materializer.path("spec").path("flinkVersion").asText());
    assertThat(image.group(3)).isEqualTo("17");
  }

  @Test
  void copiesTheJobJarWhereJarUriPointsAndTheConnectorIntoLib() {
    String jarPath = materializer.path("spec").path("job").path("jarURI").asText().substring("local://".length());

    assertThat(instructions).anySatisfy(line -> assertThat(line).startsWith("COPY ").endsWith(" job/target/iceberg-online-job.jar " + jarPath));
    assertThat(instructions).anySatisfy(line -> assertThat(line).startsWith("COPY ")
        .endsWith(" lookup-connector/target/flink-sql-connector-iceberg-online.jar /opt/flink/lib/flink-sql-connector-iceberg-online.jar"));
  }

  @Test
  void endsAsTheNonRootUserThePodsRunAs() {
    String user = instructions.get(instructions.size() - 1);
    JsonNode podSecurity = materializer.path("spec").path("podTemplate").path("spec").path("securityContext");

    assertThat(user).isEqualTo("USER " + podSecurity.path("runAsUser").asInt() + ":" + podSecurity.path("runAsGroup").asInt());
    assertThat(podSecurity.path("runAsUser").asInt()).isNotZero();
  }
}
