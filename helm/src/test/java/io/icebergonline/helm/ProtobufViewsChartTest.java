package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.TimestampProto;
import io.icebergonline.core.EventFormat;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Protobuf views in the chart: a view's descriptor set (base64 in the values) reaches the job and
 * the feature server as a file of their config directory that the job config names, and a view
 * without one is framed by the schema registry.
 */
class ProtobufViewsChartTest {
  private static final ChartUnderTest CHART = new ChartUnderTest();
  private static final Path VALUES = ChartUnderTest.TEST_VALUES.resolve("protobuf.yaml");

  @TempDir Path configDir;

  /** driver.proto with feast.test.DriverStats, and the timestamp file it imports. */
  private static byte[] descriptorSet() {
    FileDescriptorProto driver = FileDescriptorProto.newBuilder().setName("driver.proto").setPackage("feast.test")
        .setSyntax("proto3").addDependency("google/protobuf/timestamp.proto")
        .addMessageType(DescriptorProto.newBuilder().setName("DriverStats")
            .addField(FieldDescriptorProto.newBuilder().setName("driver_id").setNumber(1)
                .setType(FieldDescriptorProto.Type.TYPE_INT64))
            .addField(FieldDescriptorProto.newBuilder().setName("event_timestamp").setNumber(2)
                .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".google.protobuf.Timestamp")))
        .build();
    return FileDescriptorSet.newBuilder().addFile(TimestampProto.getDescriptor().toProto()).addFile(driver).build()
        .toByteArray();
  }

  @Test
  void aViewsDescriptorSetIsMountedBesideTheJobConfigThatNamesItAndTheOtherViewIsFramedByTheRegistry()
      throws Exception {
    String base64 = Base64.getEncoder().encodeToString(descriptorSet());
    Manifests manifests = CHART.render(Map.of("featureViews[0].protobufDescriptorSet", base64), VALUES);
    String configDir = "/opt/iceberg-online/config";

    for (String configMap : new String[] {ChartUnderTest.FULLNAME + "-config",
        ChartUnderTest.FULLNAME + "-feature-server-config"}) {
      JsonNode binary = manifests.named("ConfigMap", configMap).path("binaryData");
      assertThat(binary.size()).as(configMap).isEqualTo(1);
      assertThat(binary.path("driver_stats.desc").asText()).as(configMap).isEqualTo(base64);
    }
    String jobConfig = manifests.jobConfig();
    assertThat(jobConfig).contains("protobuf_descriptor_file: " + configDir + "/driver_stats.desc");
    Files.write(this.configDir.resolve("driver_stats.desc"), Base64.getDecoder().decode(base64));

    JobConfig config = JobConfigParser.parse(jobConfig.replace(configDir, this.configDir.toString()), name -> null);

    EventFormat plain = config.featureViews().get(0).format();
    assertThat(plain.kind()).isEqualTo(EventFormat.Kind.PROTOBUF);
    assertThat(plain.framed()).isFalse();
    assertThat(plain.protobufMessage()).isEqualTo("feast.test.DriverStats");
    assertThat(Base64.getDecoder().decode(plain.protobufDescriptors())).isEqualTo(descriptorSet());
    EventFormat framed = config.featureViews().get(1).format();
    assertThat(framed.kind()).isEqualTo(EventFormat.Kind.PROTOBUF);
    assertThat(framed.framed()).isTrue();
    assertThat(framed.registry().url()).isEqualTo("https://registry:8081");
  }

  @Test
  void aDescriptorSetThatIsNotBase64IsRefusedByTheValuesSchema() {
    assertThatThrownBy(() -> CHART.render(Map.of("featureViews[0].protobufDescriptorSet", "not base64!"), VALUES))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("protobufDescriptorSet");
  }
}
