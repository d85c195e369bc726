package io.icebergonline.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node KRaft Kafka (one combined broker and controller) in this JVM, from Kafka's
 * own test kit. Start one per test class; internal topics are sized for one broker so that
 * consumer groups and transactions (Flink's exactly-once Kafka sink) work.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;
  private final long startupMillis;

  private EmbeddedKafka(KafkaClusterTestKit cluster, long startupMillis) {
    this.cluster = cluster;
    this.startupMillis = startupMillis;
  }

  public static EmbeddedKafka start() throws Exception {
    return start(Map.of());
  }

  /**
   * A broker whose configuration is this class's, overridden by {@code brokerConfig} (e.g. Kafka's
   * default time-based retention and a short retention check interval, to test what it deletes).
   */
  public static EmbeddedKafka start(Map<String, String> brokerConfig) throws Exception {
    long started = System.nanoTime();
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
        .setBootstrapMetadataVersion(MetadataVersion.latestProduction()) // the default enables unstable features
        .build());
    builder.setConfigProp("offsets.topic.replication.factor", "1");
    builder.setConfigProp("offsets.topic.num.partitions", "1");
    builder.setConfigProp("transaction.state.log.replication.factor", "1");
    builder.setConfigProp("transaction.state.log.min.isr", "1");
    builder.setConfigProp("transaction.state.log.num.partitions", "1");
    builder.setConfigProp("share.coordinator.state.topic.replication.factor", "1");
    builder.setConfigProp("share.coordinator.state.topic.min.isr", "1");
    builder.setConfigProp("group.initial.rebalance.delay.ms", "0");
    // generated events carry historical timestamps: time-based retention would delete them as soon as
    // a segment rolls (a benchmark's 10M events lost their first gigabyte)
    builder.setConfigProp("log.retention.ms", "-1");
    brokerConfig.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return new EmbeddedKafka(cluster, (System.nanoTime() - started) / 1_000_000);
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** How long {@link #start()} took, for the record. */
  public long startupMillis() {
    return startupMillis;
  }

  /**
   * Creates the topic and waits until the broker lists it: the controller acknowledges the creation
   * before the broker's metadata has it, and a job started at once would not find the topic.
   */
  public void createTopic(String topic, int partitions) throws ExecutionException, InterruptedException {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!admin.listTopics().names().get().contains(topic)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("topic " + topic + " was created but is not listed after 30 s");
        }
        Thread.sleep(20);
      }
    }
  }

  /** Sends generated events in order (each with its key and record timestamp) and waits until all are acknowledged. */
  public void produce(String topic, List<GeneratedEvent> events) {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (GeneratedEvent event : events) {
        producer.send(new ProducerRecord<>(topic, null, event.recordTimestamp(), event.key(), event.value()));
      }
      producer.flush();
    }
  }

  public KafkaProducer<byte[], byte[]> producer() {
    Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return new KafkaProducer<>(properties);
  }

  /**
   * Every committed record now in the topic, partition by partition in offset order, read with
   * {@code read_committed} (records of aborted or open transactions are not returned).
   */
  public List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic, Duration timeout) {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout); // the last stable offsets
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(partition -> consumer.position(partition) < end.get(partition))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("timed out reading " + topic + " after " + records.size() + " records");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
