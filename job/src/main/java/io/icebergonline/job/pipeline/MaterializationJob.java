package io.icebergonline.job.pipeline;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.KafkaConfig;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.StartupException;
import io.icebergonline.job.maintenance.MaintenanceScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.DistributionMode;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.sink.FlinkSink;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the materialization pipeline (DESIGN "Materialization pipeline") for every feature view
 * of a config: Kafka source, parse (bad records to the dead-letter topic) and collapse to the newest
 * event per key on the source subtask ({@link ParseAndCollapseOperator}), newest-wins and
 * collapse keyed by bucket, and Iceberg's own upsert sink with its exactly-once committer; the
 * consumer group's offsets follow the tables ({@link SourceOffsetCommitter}); with a
 * {@code maintenance:} block, the {@link MaintenanceScheduler} too.
 */
public final class MaterializationJob {
  private static final Logger LOG = LoggerFactory.getLogger(MaterializationJob.class);
  private static final long TOPIC_CHECK_TIMEOUT_SECONDS = 30;
  /** How long the offset commit of a checkpoint waits for Iceberg's committers to commit the tables. */
  private static final Duration OFFSET_COMMIT_WAIT = Duration.ofSeconds(60);
  /** The Kafka broker's default cap on transaction timeouts; Flink's producer default (1 h) exceeds it. */
  private static final String DEFAULT_TRANSACTION_TIMEOUT_MS = "900000";
  /** Kafka's default {@code max.request.size}. */
  private static final int DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;
  /** Kafka's default topic {@code max.message.bytes}. */
  private static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;

  private MaterializationJob() {}

  /**
   * Verifies the start-up preconditions (catalog, tables, topics) and adds the pipeline of every
   * feature view to {@code env}. Fails with a {@link StartupException} that says what to fix.
   */
  public static void build(StreamExecutionEnvironment env, JobConfig config, MaterializeOptions options) {
    configure(env, options);
    int deadLetterTopicMaxBytes = checkTopics(config);

    OnlineStoreConfig store = config.onlineStore();
    List<ViewStreams> views = new ArrayList<>();
    Catalog catalog = loadCatalog(store);
    try {
      for (FeatureViewSpec view : config.featureViews()) {
        Table table = OnlineTables.createOrVerify(catalog, store.namespace(), view);
        DeleteLog.createOrLoad(catalog, store.namespace(), view);
        DataStream<KafkaRecord> records = env
            .fromSource(kafkaSource(config.kafka(), view, options.untilEnd()), WatermarkStrategy.noWatermarks(),
                "kafka: " + view.topic())
            .uid("source-" + view.name());
        views.add(addFeatureView(store, view, table, records, options));
      }
      env.getConfiguration().getOptional(StateRecoveryOptions.SAVEPOINT_PATH).ifPresent(savepoint ->
          SavepointRestoreCheck.verify(savepoint, catalog, store.namespace(), config.featureViews()));
    } finally {
      closeQuietly(catalog);
    }
    DataStream<DeadLetter> deadLetters = union(views.stream().map(ViewStreams::deadLetters).toList());
    deadLetters.sinkTo(deadLetterSink(config, deadLetterTopicMaxBytes)).name("dead letters: " + config.deadLetterTopic()).uid("dead-letter-sink");
    DataStream<CheckpointStats> malformed = deadLetters
        .map(letter -> CheckpointStats.malformed(letter.featureView)).name("count dead letters").uid("count-dead-letters");
    List<DataStream<CheckpointStats>> stats = new ArrayList<>(views.stream().map(ViewStreams::stats).toList());
    stats.add(malformed);
    DataStream<CheckpointStats> allStats = union(stats);
    allStats.transform("commit reporter", Types.VOID, new CommitReporter()).uid("commit-reporter")
        .setParallelism(1).setMaxParallelism(1);
    Map<String, TableLoader> tables = new HashMap<>();
    views.forEach(view -> tables.putAll(view.tables()));
    union(views.stream().map(ViewStreams::readPositions).toList())
        .connect(allStats)
        .transform("commit Kafka offsets after the tables", Types.VOID,
            new SourceOffsetCommitter(config.kafka(), tables, OFFSET_COMMIT_WAIT))
        .uid("source-offset-committer").setParallelism(1).setMaxParallelism(1);
    if (config.maintenance().enabled()) {
      allStats.process(new MaintenanceScheduler(store, config.featureViews(), config.maintenance()))
          .name("maintenance every " + config.maintenance().interval()).uid("maintenance")
          .setParallelism(1).setMaxParallelism(1);
    } else {
      LOG.warn("Maintenance is disabled: every commit adds data and delete files, so storage and lookup cost grow "
          + "until you run 'maintain' or enable the maintenance block in the config.");
    }
  }

  /**
   * Adds the pipeline of one feature view fed by {@code records} instead of a Kafka source: the
   * same parse, newest wins + collapse and Iceberg upsert sink as {@link #build}, on an environment
   * set up as {@link #build} sets it, with the per-checkpoint log line; malformed records are
   * counted but written nowhere. Benchmarks use it to feed this pipeline and other sinks the same
   * in-process stream.
   */
  public static void buildView(StreamExecutionEnvironment env, OnlineStoreConfig store, FeatureViewSpec view,
      DataStream<KafkaRecord> records, MaterializeOptions options) {
    configure(env, options);
    Catalog catalog = loadCatalog(store);
    Table table;
    try {
      table = OnlineTables.createOrVerify(catalog, store.namespace(), view);
      DeleteLog.createOrLoad(catalog, store.namespace(), view);
    } finally {
      closeQuietly(catalog);
    }
    ViewStreams streams = addFeatureView(store, view, table, records, options);
    DataStream<CheckpointStats> malformed = streams.deadLetters()
        .map(letter -> CheckpointStats.malformed(letter.featureView)).name("count dead letters").uid("count-dead-letters");
    streams.stats().union(malformed).transform("commit reporter", Types.VOID, new CommitReporter())
        .uid("commit-reporter").setParallelism(1).setMaxParallelism(1);
  }

  private static void configure(StreamExecutionEnvironment env, MaterializeOptions options) {
    if (options.parallelism() != null) {
      env.setParallelism(options.parallelism());
    }
    env.enableCheckpointing(options.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    if (env.getCheckpointConfig().isUnalignedCheckpointsEnabled()) {
      // a barrier could then overtake a checkpoint's stats on their way to SourceOffsetCommitter,
      // which would commit Kafka offsets before the table commit they wait for
      throw new StartupException(CheckpointingOptions.ENABLE_UNALIGNED.key() + " is true: this job needs aligned "
          + "checkpoints (the consumer group's offsets follow the table commits barrier by barrier); set it to false");
    }
    // At parallelism 1 Flink would chain Iceberg's writer (max parallelism 128) with its committer
    // (max parallelism 1), and a savepoint taken so could not be restored at another parallelism.
    Configuration pipeline = new Configuration();
    pipeline.set(PipelineOptions.OPERATOR_CHAINING_CHAIN_OPERATORS_WITH_DIFFERENT_MAX_PARALLELISM, false);
    env.configure(pipeline);
  }

  /**
   * Adds only the parse of one feature view fed by {@code records}, into a discarding sink: the
   * ceiling the rest of the pipeline is measured against (benchmarks run it on the same input).
   */
  public static void buildParseOnly(StreamExecutionEnvironment env, OnlineStoreConfig store, FeatureViewSpec view,
      DataStream<KafkaRecord> records, MaterializeOptions options) {
    configure(env, options);
    Catalog catalog = loadCatalog(store);
    Table table;
    try {
      table = OnlineTables.createOrVerify(catalog, store.namespace(), view);
    } finally {
      closeQuietly(catalog);
    }
    RowType tableRow = FlinkSchemaUtil.convert(table.schema());
    records
        .transform("parse: " + view.name(), InternalTypeInfo.of(VersionedRow.type(tableRow)),
            ParseAndCollapseOperator.parsingOnly(view.name(), new FeatureEventParser(view, table.schema())))
        .sinkTo(new DiscardingSink<>()).name("discard: " + view.name());
  }

  private static ViewStreams addFeatureView(OnlineStoreConfig store, FeatureViewSpec view, Table table,
      DataStream<KafkaRecord> records, MaterializeOptions options) {
    String name = view.name();
    RowType tableRow = FlinkSchemaUtil.convert(table.schema());
    // uid of the former parse function; the collapse operator it replaces ("collapse-before-shuffle-") had no state
    SingleOutputStreamOperator<RowData> newestPerSource = records
        .transform("parse + collapse before shuffle: " + name, InternalTypeInfo.of(VersionedRow.type(tableRow)),
            ParseAndCollapseOperator.collapsing(name, new FeatureEventParser(view, table.schema()), tableRow,
                options.maxBufferedRows()))
        .uid("parse-" + name);

    CatalogLoader catalogLoader = CatalogLoader.custom(store.catalogName(), IcebergCatalogs.catalogProperties(store),
        new org.apache.hadoop.conf.Configuration(), store.catalogType().catalogImpl());
    TableLoader tableLoader = TableLoader.fromCatalog(catalogLoader, OnlineTables.identifier(store.namespace(), view));
    TableLoader deleteLogLoader = TableLoader.fromCatalog(catalogLoader, DeleteLog.identifier(store.namespace(), view));

    FeastValueType keyType = view.entities().get(0).type();
    boolean numericKey = !view.hasCompositeKey() && (keyType == FeastValueType.INT32 || keyType == FeastValueType.INT64);
    SingleOutputStreamOperator<RowData> collapsed = newestPerSource
        .keyBy(new BucketRouting(view.buckets()))
        .transform("newest wins + collapse: " + name, InternalTypeInfo.of(tableRow),
            new NewestWinsCollapseOperator(view, tableLoader.clone(), deleteLogLoader.clone(), tableRow,
                options.maxBufferedRows(), numericKey))
        .uid("newest-wins-" + name)
        .setMaxParallelism(BucketRouting.maxParallelism(view.buckets()));
    // Iceberg's FlinkSink, not the newer IcebergSink: in 1.11 IcebergSink's write aggregator merges
    // the files of an aborted checkpoint into the next checkpoint's commit, so that commit's
    // equality deletes miss rows written in the same commit and a key shows two live rows after a
    // failure (reproduced by MaterializationRecoveryTest; apache/iceberg#11008 fixed it for
    // FlinkSink only). HASH distribution keys the writers by partition, i.e. by bucket: one data
    // file and one equality-delete file per touched bucket per checkpoint. (NONE would key by
    // entity key and split every bucket over all writers.)
    FlinkSink.forRowData(collapsed)
        .tableLoader(tableLoader)
        .upsert(true)
        .equalityFieldColumns(OnlineTableLayout.of(view).equalityColumns())
        .distributionMode(DistributionMode.HASH)
        .writeParallelism(collapsed.getParallelism())
        .uidPrefix("iceberg-" + name)
        .append();
    // The delete log, appended in the same checkpoint as the deletes (its own committer commits it
    // when the checkpoint completes, as the online table's does).
    FlinkSink.forRowData(collapsed.getSideOutput(NewestWinsCollapseOperator.DELETE_VERSIONS))
        .tableLoader(deleteLogLoader)
        .distributionMode(DistributionMode.NONE)
        .writeParallelism(collapsed.getParallelism())
        .uidPrefix("iceberg-delete-log-" + name)
        .append();

    return new ViewStreams(newestPerSource.getSideOutput(ParseAndCollapseOperator.DEAD_LETTERS),
        collapsed.getSideOutput(NewestWinsCollapseOperator.STATS),
        newestPerSource.getSideOutput(ParseAndCollapseOperator.READ_POSITIONS),
        Map.of(SourceOffsetCommitter.onlineTable(name), tableLoader.clone(),
            SourceOffsetCommitter.deleteLog(name), deleteLogLoader.clone()));
  }

  /**
   * What a view's pipeline hands to the job-wide parts: its dead letters, per-checkpoint stats and
   * read positions, and loaders of its two tables.
   */
  private record ViewStreams(DataStream<DeadLetter> deadLetters, DataStream<CheckpointStats> stats,
      DataStream<ReadPosition> readPositions, Map<String, TableLoader> tables) {}

  private static KafkaSource<KafkaRecord> kafkaSource(KafkaConfig kafka, FeatureViewSpec view, boolean untilEnd) {
    var builder = KafkaSource.<KafkaRecord>builder()
        .setBootstrapServers(kafka.bootstrapServers())
        .setTopics(view.topic())
        .setGroupId(kafka.groupId())
        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
        .setDeserializer(new KafkaRecordDeserializer())
        .setProperties(properties(kafka.properties()))
        // SourceOffsetCommitter commits the group's offsets, after the tables
        .setProperty(KafkaSourceOptions.COMMIT_OFFSETS_ON_CHECKPOINT.key(), "false");
    if (untilEnd) {
      builder.setBounded(OffsetsInitializer.latest());
    }
    return builder.build();
  }

  private static KafkaSink<DeadLetter> deadLetterSink(JobConfig config, int topicMaxMessageBytes) {
    Properties producer = properties(config.kafka().properties());
    producer.putIfAbsent("transaction.timeout.ms", DEFAULT_TRANSACTION_TIMEOUT_MS);
    String maxRequestSize = producer.getProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Integer.toString(DEFAULT_MAX_REQUEST_SIZE)).trim();
    int maxRecordBytes;
    try {
      maxRecordBytes = Math.min(topicMaxMessageBytes, Integer.parseInt(maxRequestSize));
    } catch (NumberFormatException e) {
      throw new StartupException("kafka.properties." + ProducerConfig.MAX_REQUEST_SIZE_CONFIG
          + ": expected a number of bytes, got '" + maxRequestSize + "'", e);
    }
    return KafkaSink.<DeadLetter>builder()
        .setBootstrapServers(config.kafka().bootstrapServers())
        .setKafkaProducerConfig(producer)
        .setRecordSerializer(new DeadLetterSerializer(config.deadLetterTopic(), maxRecordBytes))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(config.kafka().groupId() + "-dead-letters")
        .build();
  }

  /**
   * Fails with a {@link StartupException} unless every view's topic and the dead-letter topic exist;
   * returns the dead-letter topic's {@code max.message.bytes}.
   */
  private static int checkTopics(JobConfig config) {
    Set<String> wanted = new HashSet<>();
    config.featureViews().forEach(view -> wanted.add(view.topic()));
    wanted.add(config.deadLetterTopic());
    Properties admin = properties(config.kafka().properties());
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    Set<String> existing;
    try (Admin client = Admin.create(admin)) {
      existing = client.listTopics().names().get(TOPIC_CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (existing.containsAll(wanted)) {
        return maxMessageBytes(client, config.deadLetterTopic());
      }
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      throw new StartupException("Cannot reach Kafka at " + config.kafka().bootstrapServers() + " to check the topics: "
          + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while checking Kafka topics", e);
    }
    Set<String> missing = new HashSet<>(wanted);
    missing.removeAll(existing);
    throw new StartupException("Kafka topic(s) " + missing.stream().sorted().toList() + " do not exist on "
        + config.kafka().bootstrapServers() + "; create them (the dead-letter topic too) before starting the job");
  }

  private static int maxMessageBytes(Admin client, String topic) throws InterruptedException, TimeoutException {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    try {
      ConfigEntry entry = client.describeConfigs(List.of(resource)).all()
          .get(TOPIC_CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(resource).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      return Integer.parseInt(entry.value());
    } catch (ExecutionException e) {
      LOG.warn("Cannot read max.message.bytes of topic '{}' ({}); dead letters are cut to fit Kafka's default {} bytes",
          topic, e.getCause().getMessage(), DEFAULT_MAX_MESSAGE_BYTES);
      return DEFAULT_MAX_MESSAGE_BYTES;
    }
  }

  private static Catalog loadCatalog(OnlineStoreConfig store) {
    try {
      return IcebergCatalogs.load(store);
    } catch (IllegalStateException e) {
      throw new StartupException(e.getMessage(), e);
    }
  }

  private static <T> DataStream<T> union(List<DataStream<T>> streams) {
    DataStream<T> all = streams.get(0);
    for (DataStream<T> more : streams.subList(1, streams.size())) {
      all = all.union(more);
    }
    return all;
  }

  private static Properties properties(Map<String, String> values) {
    Properties properties = new Properties();
    properties.putAll(values);
    return properties;
  }

  private static void closeQuietly(Catalog catalog) {
    if (catalog instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.debug("Closing the catalog failed", e);
      }
    }
  }
}
