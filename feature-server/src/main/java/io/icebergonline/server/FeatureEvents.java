package io.icebergonline.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.KafkaConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Feast's {@code POST /push} and {@code POST /write-to-online-store} ({@code
 * feast/feature_server.py}, {@code PushFeaturesRequest} and {@code WriteToFeatureStoreRequest}):
 * the columnar {@code df} becomes one event per row, in the shape the job reads (Feast's Kafka JSON
 * convention: value = flat JSON object of entity, feature and time columns; key = JSON object of
 * the entity columns), produced to the view's topic. The request is answered after Kafka
 * acknowledged every event (acks=all); then the job materializes them, newest wins as always.
 */
final class FeatureEvents implements AutoCloseable {
  /** The time columns Feast's remote online store sends ({@code remote.py}, {@code online_write_batch}). */
  static final String FEAST_EVENT_TIMESTAMP = "event_timestamp";
  static final String FEAST_CREATED = "created";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, FeatureViewSpec> views;
  private final int maxRows;
  private final ServerMetrics metrics;
  private final KafkaProducer<byte[], byte[]> producer;

  FeatureEvents(KafkaConfig kafka, List<FeatureViewSpec> views, int maxRows, Duration timeout, ServerMetrics metrics) {
    this.views = new LinkedHashMap<>();
    views.forEach(view -> this.views.put(view.name(), view));
    this.maxRows = maxRows;
    this.metrics = metrics;
    Properties properties = new Properties();
    properties.putAll(kafka.properties());
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // a send that cannot even start (no broker) fails within the request's time, not Kafka's minute
    properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeout.toMillis()));
    properties.put(ProducerConfig.CLIENT_ID_CONFIG, "iceberg-online-feature-server");
    this.producer = new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * {@code POST /push}: {@code push_source_name} names the feature view (this server has no
   * separate push sources); only {@code to: "online"} (the default) is served.
   */
  int push(JsonNode request, long deadlineNanos) {
    requireObject(request);
    FeatureViewSpec view = view(request, "push_source_name");
    JsonNode to = request.get("to");
    if (to != null && !to.isNull() && !"online".equals(to.asText())) {
      throw RequestException.badRequest("to: only 'online' is served (the job writes the online tables), got "
          + FeastValues.shown(to));
    }
    return produce(view, rows(view, request.get("df"), Map.of()), deadlineNanos);
  }

  /**
   * {@code POST /write-to-online-store}, what a Feast repository with a remote online store sends
   * on {@code feast materialize}: its time columns are named {@code event_timestamp} and {@code
   * created} whatever the view calls them, and carry zone-less UTC date-times.
   */
  int write(JsonNode request, long deadlineNanos) {
    requireObject(request);
    FeatureViewSpec view = view(request, "feature_view_name");
    Map<String, String> renames = new HashMap<>();
    renames.put(FEAST_EVENT_TIMESTAMP, view.timestampField());
    renames.put(FEAST_CREATED, view.createdTimestampColumn()); // null: the view keeps no created time
    return produce(view, rows(view, request.get("df"), renames), deadlineNanos);
  }

  /** A JSON object, its fields read as Feast's pydantic models read them: ones they do not know are ignored. */
  private static void requireObject(JsonNode request) {
    if (request == null || !request.isObject()) {
      throw RequestException.validation(List.of(), "model_attributes_type",
          "Input should be a valid dictionary or object to extract fields from");
    }
  }

  /**
   * The view {@code field} names. Unknown: what Feast raises, {@code PushSourceNotFoundException}
   * (422) for a push, {@code FeatureViewNotFoundException} (404) for a write.
   */
  private FeatureViewSpec view(JsonNode request, String field) {
    JsonNode name = request.get(field);
    if (name == null || name.isNull()) {
      throw RequestException.validation(List.of(field), "missing", "Field required");
    }
    if (!name.isTextual()) {
      throw RequestException.validation(List.of(field), "string_type", "Input should be a valid string");
    }
    FeatureViewSpec view = views.get(name.textValue());
    if (view == null) {
      String shown = FeastValues.shown(name);
      throw field.equals("push_source_name")
          ? RequestException.feast(422, "PushSourceNotFoundException", field + ": Unable to find push source "
              + shown + "; the server's push sources are its feature views " + views.keySet())
          : RequestException.feast(404, "FeatureViewNotFoundException", field + ": Feature view " + shown
              + " does not exist; the server has " + views.keySet());
    }
    return view;
  }

  /** One event per row of the columnar {@code df}; {@code renames} maps Feast's column names to the view's (null: drop). */
  private List<ObjectNode> rows(FeatureViewSpec view, JsonNode df, Map<String, String> renames) {
    if (df == null || !df.isObject() || df.isEmpty()) {
      throw RequestException.badRequest("df: expected a non-empty mapping of column to a list of values");
    }
    Map<String, FieldSpec> fields = new LinkedHashMap<>();
    view.entities().forEach(field -> fields.put(field.name(), field));
    view.features().forEach(field -> fields.put(field.name(), field));
    Map<String, JsonNode> columns = new LinkedHashMap<>();
    int count = -1;
    for (Iterator<Map.Entry<String, JsonNode>> entries = df.fields(); entries.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = entries.next();
      String where = "df." + FeastValues.shown(entry.getKey());
      String column = renames.containsKey(entry.getKey()) ? renames.get(entry.getKey()) : entry.getKey();
      JsonNode values = entry.getValue();
      if (!values.isArray()) {
        throw RequestException.badRequest(where + ": expected a list of values, got " + FeastValues.shown(values));
      }
      if (count >= 0 && values.size() != count) {
        throw RequestException.badRequest(where + ": has " + values.size() + " values, other columns " + count);
      }
      count = values.size();
      if (count > maxRows) {
        throw new RequestException(413, where + ": " + count + " rows, more than the server's max_entities of " + maxRows);
      }
      if (column == null) {
        continue;
      }
      if (!fields.containsKey(column) && !column.equals(view.timestampField())
          && !column.equals(view.createdTimestampColumn())) {
        throw RequestException.badRequest(where + ": feature view '" + view.name() + "' has no column '"
            + FeastValues.shown(column) + "'; its columns are " + allColumns(view));
      }
      columns.put(column, values);
    }
    if (count == 0) {
      throw RequestException.badRequest("df: expected at least one row");
    }
    for (FieldSpec entity : view.entities()) {
      if (!columns.containsKey(entity.name())) {
        throw RequestException.badRequest("df: feature view '" + view.name() + "' needs join key column '"
            + entity.name() + "'");
      }
    }
    if (!columns.containsKey(view.timestampField())) {
      throw RequestException.badRequest("df: feature view '" + view.name() + "' needs its event time column '"
          + (renames.isEmpty() ? view.timestampField() : FEAST_EVENT_TIMESTAMP) + "'");
    }
    List<ObjectNode> events = new ArrayList<>(count);
    for (int row = 0; row < count; row++) {
      ObjectNode event = JSON.createObjectNode();
      for (Map.Entry<String, JsonNode> column : columns.entrySet()) {
        String name = column.getKey();
        JsonNode value = column.getValue().get(row);
        String where = "df." + name + "[" + row + "]";
        FieldSpec field = fields.get(name);
        if (field != null && view.entities().contains(field) && (value == null || value.isNull())) {
          throw RequestException.badRequest(where + ": a join key value must not be null");
        }
        if (name.equals(view.timestampField()) && (value == null || value.isNull())) {
          throw RequestException.badRequest(where + ": the event time must not be null");
        }
        event.set(name, field != null ? FeastValues.eventValue(field.type(), value, where)
            : FeastValues.eventValue(FeastValueType.UNIX_TIMESTAMP, value, where));
      }
      events.add(event);
    }
    return events;
  }

  private static List<String> allColumns(FeatureViewSpec view) {
    List<String> columns = new ArrayList<>();
    view.entities().forEach(field -> columns.add(field.name()));
    view.features().forEach(field -> columns.add(field.name()));
    columns.add(view.timestampField());
    view.createdTimestamp().ifPresent(columns::add);
    return columns;
  }

  private int produce(FeatureViewSpec view, List<ObjectNode> events, long deadlineNanos) {
    List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
    try {
      for (ObjectNode event : events) {
        ObjectNode key = JSON.createObjectNode();
        view.entities().forEach(entity -> key.set(entity.name(), event.get(entity.name())));
        acks.add(producer.send(new ProducerRecord<>(view.topic(), JSON.writeValueAsBytes(key),
            JSON.writeValueAsBytes(event))));
      }
      for (Future<RecordMetadata> ack : acks) {
        ack.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (TimeoutException e) {
      throw new RequestException(504, "Kafka did not acknowledge the events for topic '" + view.topic()
          + "' within the server's request_timeout; some may have been written (a retry is safe: newest wins)");
    } catch (ExecutionException | RuntimeException | JsonProcessingException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new RequestException(503, "producing to Kafka topic '" + view.topic() + "' failed: "
          + cause.getClass().getSimpleName() + "; a retry is safe (newest wins)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RequestException(503, "interrupted while waiting for Kafka");
    }
    metrics.eventsProduced(view.name(), events.size());
    return events.size();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
