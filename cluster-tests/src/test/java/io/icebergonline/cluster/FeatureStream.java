package io.icebergonline.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.TableRows;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchTableException;

/**
 * One feature view's events on the cluster: its topic and dead-letter topic (named after the
 * test), adversarial generated events (late, duplicate, malformed, tombstones), and the oracle
 * computed from them independently, which the view's table must come to equal.
 */
final class FeatureStream {
  static final Duration TABLE_TIMEOUT = Duration.ofMinutes(4);

  final String topic;
  final String view;
  final String namespace;
  private final EmbeddedKafka kafka;
  private final Catalog catalog;
  private final FeatureEventGenerator generator;
  final NewestRowOracle oracle = new NewestRowOracle();
  private final List<String> malformed = new ArrayList<>();

  /** Creates the view's topic (4 partitions); the view's table is {@code namespace.view}. */
  FeatureStream(EmbeddedKafka kafka, Catalog catalog, String namespace, String topic, String view, long seed)
      throws Exception {
    this.kafka = kafka;
    this.catalog = catalog;
    this.topic = topic;
    this.view = view;
    this.namespace = namespace;
    this.generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, 500)
        .withRates(0.08, 0.03, 0.02, 0.02));
    kafka.createTopic(topic, 4);
  }

  /**
   * The chart's single view driver_stats of one test named {@code name}: topic {@code name}, dead-letter
   * topic {@code name-dlq}, namespace {@code name} with '_' for '-' (as {@link RenderedChart#forTest} sets them).
   */
  static FeatureStream single(EmbeddedKafka kafka, Catalog catalog, String name, long seed) throws Exception {
    kafka.createTopic(name + "-dlq", 1);
    return new FeatureStream(kafka, catalog, namespaceOf(name), name, "driver_stats", seed);
  }

  static String namespaceOf(String name) {
    return name.replace('-', '_');
  }

  void produce(int count) {
    List<GeneratedEvent> events = generator.next(count);
    oracle.acceptAll(events);
    events.stream().filter(event -> event.kind() == GeneratedEvent.Kind.MALFORMED)
        .forEach(event -> malformed.add(event.valueText()));
    kafka.produce(topic, events);
  }

  Map<Object, Map<String, Object>> rows() {
    return TableRows.readByKey(catalog.loadTable(TableIdentifier.of(namespace, view)), "driver_id");
  }

  /** Waits until the table equals the oracle; fails with the job's exception if the job ends first. */
  void awaitTableExact(FlinkCluster cluster, String jobId) throws Exception {
    long deadline = System.nanoTime() + TABLE_TIMEOUT.toNanos();
    Map<Object, Map<String, Object>> rows = Map.of();
    while (System.nanoTime() < deadline) {
      cluster.failIfEnded(jobId, cluster.get("/jobs/" + jobId));
      try {
        rows = rows();
      } catch (NoSuchTableException e) {
        rows = Map.of(); // not created yet
      }
      if (rows.equals(oracle.liveRows())) {
        return;
      }
      Thread.sleep(500);
    }
    assertThat(rows).as("table %s.%s after %s; logs:%n%s", namespace, view, TABLE_TIMEOUT, cluster.logTails(40))
        .isEqualTo(oracle.liveRows());
  }

  /**
   * Waits until the dead-letter topic holds as many records as the streams sent malformed events;
   * they must be exactly those, each once, or, with {@code repeatsAllowed}, each at least once.
   */
  static void assertDeadLetters(EmbeddedKafka kafka, String deadLetterTopic, boolean repeatsAllowed,
      FeatureStream... streams) throws Exception {
    List<String> expected = new ArrayList<>();
    for (FeatureStream stream : streams) {
      expected.addAll(stream.malformed);
    }
    long deadline = System.nanoTime() + TABLE_TIMEOUT.toNanos();
    List<String> dead = List.of();
    while (System.nanoTime() < deadline) {
      dead = kafka.readCommitted(deadLetterTopic, Duration.ofSeconds(30)).stream()
          .map(record -> new String(record.value(), StandardCharsets.UTF_8)).toList();
      if (dead.size() >= expected.size() && (!repeatsAllowed || dead.containsAll(expected))) {
        break;
      }
      Thread.sleep(500);
    }
    if (repeatsAllowed) {
      assertThat(dead).as("%s: every malformed event", deadLetterTopic).containsAll(expected);
      assertThat(new java.util.HashSet<>(dead)).as("%s: nothing but malformed events", deadLetterTopic)
          .isEqualTo(new java.util.HashSet<>(expected));
    } else {
      assertThat(dead.stream().sorted().toList()).as("%s: every malformed event once", deadLetterTopic)
          .isEqualTo(expected.stream().sorted().toList());
    }
  }
}
