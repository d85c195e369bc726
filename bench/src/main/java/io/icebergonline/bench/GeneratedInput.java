package io.icebergonline.bench;

import io.icebergonline.job.pipeline.KafkaRecord;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.common.utils.Utils;

/**
 * One generated materialization input (Zipf-skewed keys, late, duplicate and malformed events,
 * tombstones), held in memory so that every pipeline of a run replays exactly the same records,
 * and the newest row per key computed from it by the independent {@link NewestRowOracle}.
 *
 * <p>{@link #replay} feeds the records to a Flink job the way a Kafka topic would: one reader in
 * generation order, each record routed to the partition Kafka's default partitioner picks for its
 * key, so every key's records stay in order. The records reach the Flink source through a registry
 * in this JVM (the mini-cluster runs in it), not through the job graph.
 */
final class GeneratedInput implements AutoCloseable {
  private static final Map<String, List<GeneratedEvent>> REGISTRY = new ConcurrentHashMap<>();
  private static final String TOPIC = "generated";

  private final String id = UUID.randomUUID().toString();
  private final List<GeneratedEvent> events;
  private final NewestRowOracle oracle = new NewestRowOracle();

  private GeneratedInput(List<GeneratedEvent> events) {
    this(events, events);
  }

  /** {@code events} replayed; the oracle computed from {@code asJson}, the same events as JSON. */
  private GeneratedInput(List<GeneratedEvent> events, List<GeneratedEvent> asJson) {
    this.events = events;
    asJson.forEach(oracle::accept);
    REGISTRY.put(id, events);
  }

  /**
   * These records with each upsert's value encoded by {@code encode} (another format of the same
   * row), everything else as it is; the oracle stays that of the JSON events, so {@code encode}
   * must keep every field.
   */
  GeneratedInput encoded(java.util.function.Function<GeneratedEvent, byte[]> encode) {
    List<GeneratedEvent> encoded = new java.util.ArrayList<>(events.size());
    for (GeneratedEvent event : events) {
      encoded.add(event.kind() != GeneratedEvent.Kind.UPSERT ? event : new GeneratedEvent(event.kind(),
          event.driverId(), event.key(), encode.apply(event), event.recordTimestamp(), event.malformedReason()));
    }
    return new GeneratedInput(encoded, events);
  }

  static GeneratedInput generate(long seed, int keys, int count) {
    return new GeneratedInput(new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, keys)).next(count));
  }

  List<GeneratedEvent> events() {
    return events;
  }

  NewestRowOracle oracle() {
    return oracle;
  }

  /** The records as a stream of {@code partitions} Kafka-like partitions. */
  DataStream<KafkaRecord> replay(StreamExecutionEnvironment env, int partitions) {
    return replay(env, partitions, events.size());
  }

  /** The first {@code count} records as a stream of {@code partitions} Kafka-like partitions. */
  DataStream<KafkaRecord> replay(StreamExecutionEnvironment env, int partitions, int count) {
    DataGeneratorSource<KafkaRecord> source = new DataGeneratorSource<>(
        new Replay(id, partitions), count, TypeInformation.of(KafkaRecord.class));
    return partitioned(env.fromSource(source, WatermarkStrategy.noWatermarks(), "generated events").setParallelism(1));
  }

  @Override
  public void close() {
    REGISTRY.remove(id);
  }

  /** The i-th generated event as the Kafka record a producer would have written. */
  private static final class Replay implements GeneratorFunction<Long, KafkaRecord> {
    private static final long serialVersionUID = 1L;

    private final String inputId;
    private final int partitions;
    private transient List<GeneratedEvent> events;

    Replay(String inputId, int partitions) {
      this.inputId = inputId;
      this.partitions = partitions;
    }

    @Override
    public void open(SourceReaderContext readerContext) {
      events = REGISTRY.get(inputId);
    }

    @Override
    public KafkaRecord map(Long index) {
      return kafkaRecord(events.get(index.intValue()), index, partitions);
    }
  }

  /**
   * The event as the Kafka record a producer would have written at {@code offset}, in the partition
   * Kafka's default partitioner picks for its key among {@code partitions}.
   */
  static KafkaRecord kafkaRecord(GeneratedEvent event, long offset, int partitions) {
    KafkaRecord record = new KafkaRecord();
    record.topic = TOPIC;
    record.partition = Utils.toPositive(Utils.murmur2(event.key())) % partitions;
    record.offset = offset;
    record.timestamp = event.recordTimestamp();
    record.key = event.key();
    record.value = event.value();
    record.headerKeys = new String[0];
    record.headerValues = new byte[0][];
    return record;
  }

  /** Routes replayed records as Kafka partitions would be read: partition p by subtask p mod parallelism. */
  static DataStream<KafkaRecord> partitioned(DataStream<KafkaRecord> records) {
    return records.partitionCustom((partition, subtasks) -> partition % subtasks, record -> record.partition);
  }
}
