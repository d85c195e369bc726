package io.icebergonline.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.KafkaConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
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
 *
 * <p>The body is parsed once, as a stream, into where each column's values lie in it (no tree of
 * the table: {@code feast materialize} sends a whole table in one request); every row is checked
 * before the first event is produced, so a refused request writes nothing.
 */
final class FeatureEvents implements AutoCloseable {
  /** The time columns Feast's remote online store sends ({@code remote.py}, {@code online_write_batch}). */
  static final String FEAST_EVENT_TIMESTAMP = "event_timestamp";
  static final String FEAST_CREATED = "created";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory FACTORY = JSON.getFactory();
  private static final String PUSH_SOURCE_NAME = "push_source_name";
  private static final String FEATURE_VIEW_NAME = "feature_view_name";

  private final Map<String, FeatureViewSpec> views;
  private final Map<String, EventEncoder> encoders = new LinkedHashMap<>();
  private final Map<String, List<String>> pushSources;
  private final int maxPushRows;
  private final int maxWriteRows;
  private final ServerMetrics metrics;
  private final KafkaProducer<byte[], byte[]> producer;

  FeatureEvents(JobConfig job, int maxPushRows, int maxWriteRows, Duration timeout, ServerMetrics metrics) {
    this.views = new LinkedHashMap<>();
    job.featureViews().forEach(view -> this.views.put(view.name(), view));
    job.featureViews().forEach(view -> encoders.put(view.name(), new EventEncoder(view)));
    this.pushSources = job.pushSources();
    this.maxPushRows = maxPushRows;
    this.maxWriteRows = maxWriteRows;
    this.metrics = metrics;
    KafkaConfig kafka = job.kafka();
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
   * {@code POST /push}: {@code push_source_name} names a push source of the config's {@code
   * push_sources:} (each of its views is written, as Feast writes every view of a push source) or a
   * feature view (every view is its own push source too). Only {@code to: "online"}, Feast's
   * default, is served: the offline store is not this server's to write.
   */
  int push(byte[] body, long deadlineNanos) {
    Frame frame = Frame.parse(body, PUSH_SOURCE_NAME);
    if (frame.to() != null && !frame.to().equals("online")) {
      throw RequestException.validation(List.of("to"), "value_error", "this server writes the online store only, "
          + "so 'to' must be 'online' (Feast's default), got " + FeastValues.shown(JSON.getNodeFactory()
              .textNode(frame.to())) + "; push to the offline store through Feast's own offline store");
    }
    List<String> targets = pushSources.get(frame.name());
    if (targets == null && views.containsKey(frame.name())) {
      targets = List.of(frame.name());
    }
    if (targets == null) {
      throw RequestException.feast(422, "PushSourceNotFoundException", PUSH_SOURCE_NAME + ": Unable to find push "
          + "source " + FeastValues.shown(JSON.getNodeFactory().textNode(frame.name())) + "; the server's push sources "
          + "are " + pushSources.keySet() + " and its feature views " + views.keySet());
    }
    List<Rows> rows = new ArrayList<>();
    for (String target : targets) {
      rows.add(rows(views.get(target), frame, Map.of(), maxPushRows, "max_entities"));
    }
    requireEveryColumnUsed(frame, rows);
    int produced = 0;
    for (Rows each : rows) {
      produced += produce(each, deadlineNanos);
    }
    return produced;
  }

  /**
   * {@code POST /write-to-online-store}, what a Feast repository with a remote online store sends
   * on {@code feast materialize}: its time columns are named {@code event_timestamp} and {@code
   * created} whatever the view calls them, and carry zone-less UTC date-times.
   */
  int write(byte[] body, long deadlineNanos) {
    Frame frame = Frame.parse(body, FEATURE_VIEW_NAME);
    FeatureViewSpec view = views.get(frame.name());
    if (view == null) {
      throw RequestException.feast(404, "FeatureViewNotFoundException", FEATURE_VIEW_NAME + ": Feature view "
          + FeastValues.shown(JSON.getNodeFactory().textNode(frame.name())) + " does not exist; the server has "
          + views.keySet());
    }
    Map<String, String> renames = new LinkedHashMap<>();
    renames.put(FEAST_EVENT_TIMESTAMP, view.timestampField());
    renames.put(FEAST_CREATED, view.createdTimestampColumn()); // null: the view keeps no created time
    Rows rows = rows(view, frame, renames, maxWriteRows, "max_write_rows");
    requireEveryColumnUsed(frame, List.of(rows));
    return produce(rows, deadlineNanos);
  }

  /**
   * A view's rows of the frame: the frame's column for each of the view's columns present, and
   * the view's columns by name (null for the time columns).
   */
  private record Rows(FeatureViewSpec view, Frame frame, Map<String, Frame.Column> columns,
      Map<String, FieldSpec> fields) {}

  /**
   * The view's columns of the frame, checked: join keys and event time present, every value of
   * the type its column has. {@code renames} maps Feast's column names to the view's (null: not
   * kept). A {@code created} column of a view without one is left out, as Feast leaves it out.
   */
  private Rows rows(FeatureViewSpec view, Frame frame, Map<String, String> renames, int maxRows, String maxRowsKey) {
    if (frame.rowCount() > maxRows) {
      throw new RequestException(413, "df: " + frame.rowCount() + " rows, more than the server's " + maxRowsKey
          + " of " + maxRows);
    }
    Map<String, FieldSpec> fields = fields(view);
    Map<String, Frame.Column> columns = new LinkedHashMap<>();
    for (Frame.Column column : frame.columns()) {
      String name = renames.containsKey(column.name()) ? renames.get(column.name()) : column.name();
      if (name == null || (name.equals(FEAST_CREATED) && !fields.containsKey(name))) {
        column.used = true;
        continue;
      }
      if (fields.containsKey(name)) {
        columns.put(name, column);
        column.used = true;
      }
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
    Rows rows = new Rows(view, frame, columns, fields);
    for (int row = 0; row < frame.rowCount(); row++) {
      encoders.get(view.name()).value(event(rows, row), "df row " + row);
    }
    return rows;
  }

  /**
   * A column no view of the request has is refused, naming it (Feast would drop it unread; a
   * misspelt feature would then be written as null, which newest-wins keeps).
   */
  private static void requireEveryColumnUsed(Frame frame, List<Rows> rows) {
    for (Frame.Column column : frame.columns()) {
      if (!column.used) {
        List<String> known = new ArrayList<>();
        rows.forEach(each -> known.addAll(each.fields().keySet()));
        String viewNames = String.join("', '", rows.stream().map(each -> each.view().name()).toList());
        String shown = FeastValues.shown(column.name());
        throw RequestException.badRequest("df." + shown + ": feature view" + (rows.size() > 1 ? "s '" : " '")
            + viewNames + "' " + (rows.size() > 1 ? "have" : "has") + " no column '" + shown + "'; "
            + (rows.size() > 1 ? "their" : "its") + " columns are " + known);
      }
    }
  }

  /** The view's columns by name: join keys, features, event time and created time. */
  private static Map<String, FieldSpec> fields(FeatureViewSpec view) {
    Map<String, FieldSpec> fields = new LinkedHashMap<>();
    view.entities().forEach(field -> fields.put(field.name(), field));
    view.features().forEach(field -> fields.put(field.name(), field));
    fields.put(view.timestampField(), null);
    if (view.createdTimestampColumn() != null) {
      fields.put(view.createdTimestampColumn(), null);
    }
    return fields;
  }

  /** Row {@code row} as the job's event, each value checked against its column (a 400 naming column and row). */
  private static ObjectNode event(Rows rows, int row) {
    FeatureViewSpec view = rows.view();
    Map<String, FieldSpec> fields = rows.fields();
    ObjectNode event = JSON.createObjectNode();
    for (Map.Entry<String, Frame.Column> column : rows.columns().entrySet()) {
      String name = column.getKey();
      JsonNode value = rows.frame().value(column.getValue(), row);
      String where = "df." + name + "[" + row + "]";
      FieldSpec field = fields.get(name);
      if (field != null && view.entities().contains(field) && value.isNull()) {
        throw RequestException.badRequest(where + ": a join key value must not be null");
      }
      if (name.equals(view.timestampField()) && value.isNull()) {
        throw RequestException.badRequest(where + ": the event time must not be null");
      }
      event.set(name, field != null ? FeastValues.eventValue(field.type(), value, where)
          : FeastValues.timeColumnValue(value, where));
    }
    return event;
  }

  private int produce(Rows rows, long deadlineNanos) {
    FeatureViewSpec view = rows.view();
    int count = rows.frame().rowCount();
    Deque<Future<RecordMetadata>> acks = new ArrayDeque<>();
    try {
      for (int row = 0; row < count; row++) {
        ObjectNode event = event(rows, row);
        ObjectNode key = JSON.createObjectNode();
        view.entities().forEach(entity -> key.set(entity.name(), event.get(entity.name())));
        acks.add(producer.send(new ProducerRecord<>(view.topic(), JSON.writeValueAsBytes(key),
            encoders.get(view.name()).value(event, "df row " + row))));
        while (!acks.isEmpty() && acks.peek().isDone()) {
          acks.poll().get();
        }
      }
      for (Future<RecordMetadata> ack : acks) {
        ack.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (TimeoutException e) {
      throw new RequestException(504, "Kafka did not acknowledge the events for topic '" + view.topic()
          + "' within the server's timeout for this endpoint; some may have been written (a retry is safe: newest wins)");
    } catch (ExecutionException | RuntimeException | IOException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new RequestException(503, "producing to Kafka topic '" + view.topic() + "' failed: "
          + cause.getClass().getSimpleName() + "; a retry is safe (newest wins)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RequestException(503, "interrupted while waiting for Kafka");
    }
    metrics.eventsProduced(view.name(), count);
    return count;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }

  /**
   * A push or write request as parsed: the name it addresses, {@code to}, and the columns of
   * {@code df}, each value kept as where it lies in the body (start and end offsets), read when
   * its row is turned into an event. Fields Feast's models have and this server does not use
   * ({@code allow_registry_cache}, {@code transform_on_write}), and unknown ones, are ignored, as
   * pydantic ignores them.
   */
  private record Frame(byte[] body, String name, String to, List<Column> columns, int rowCount) {
    /** One column of {@code df}: its name and its values' offsets in the body. */
    static final class Column {
      final String name;
      int[] starts = new int[16];
      int[] ends = new int[16];
      int size;
      /** Read for some view of the request. */
      boolean used;

      Column(String name) {
        this.name = name;
      }

      String name() {
        return name;
      }

      void add(int start, int end) {
        if (size == starts.length) {
          starts = Arrays.copyOf(starts, size * 2);
          ends = Arrays.copyOf(ends, size * 2);
        }
        starts[size] = start;
        ends[size] = end;
        size++;
      }
    }

    JsonNode value(Column column, int row) {
      try {
        return JSON.readTree(body, column.starts[row], column.ends[row] - column.starts[row]);
      } catch (IOException e) {
        throw new IllegalStateException("a value parsed before does not parse again", e);
      }
    }

    static Frame parse(byte[] body, String nameField) {
      if (body.length == 0) {
        throw RequestException.validation(List.of(), "missing", "Field required");
      }
      String name = null;
      String to = null;
      List<Column> columns = null;
      try (JsonParser parser = FACTORY.createParser(body)) {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          throw RequestException.validation(List.of(), "model_attributes_type",
              "Input should be a valid dictionary or object to extract fields from");
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if (field.equals(nameField) || field.equals("to")) {
            if (value != JsonToken.VALUE_STRING) {
              throw RequestException.validation(List.of(field), "string_type", "Input should be a valid string");
            }
            if (field.equals(nameField)) {
              name = parser.getText();
            } else {
              to = parser.getText();
            }
          } else if (field.equals("df")) {
            columns = columns(parser);
          } else {
            parser.skipChildren();
          }
        }
      } catch (StreamReadException e) {
        throw RequestException.validation(List.of(), "json_invalid", "JSON decode error: " + e.getOriginalMessage());
      } catch (IOException e) {
        throw new IllegalStateException("reading a request held in memory failed", e);
      }
      if (name == null) {
        throw RequestException.validation(List.of(nameField), "missing", "Field required");
      }
      if (columns == null || columns.isEmpty()) {
        throw RequestException.badRequest("df: expected a non-empty mapping of column to a list of values");
      }
      int rows = columns.get(0).size;
      for (Column column : columns) {
        if (column.size != rows) {
          throw RequestException.badRequest("df." + column.name + ": has " + column.size + " values, other columns "
              + rows);
        }
      }
      if (rows == 0) {
        throw RequestException.badRequest("df: expected at least one row");
      }
      return new Frame(body, name, to, columns, rows);
    }

    private static List<Column> columns(JsonParser parser) throws IOException {
      if (parser.currentToken() != JsonToken.START_OBJECT) {
        throw RequestException.badRequest("df: expected a non-empty mapping of column to a list of values");
      }
      Map<String, Column> columns = new LinkedHashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        String where = "df." + FeastValues.shown(name);
        if (parser.nextToken() != JsonToken.START_ARRAY) {
          throw RequestException.badRequest(where + ": expected a list of values, got "
              + FeastValues.shown((JsonNode) parser.readValueAsTree()));
        }
        Column column = new Column(name);
        if (columns.putIfAbsent(name, column) != null) {
          throw RequestException.badRequest(where + ": the column is given twice");
        }
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
          int start = (int) parser.currentTokenLocation().getByteOffset();
          if (token.isStructStart()) {
            parser.skipChildren();
          } else {
            parser.finishToken();
          }
          column.add(start, (int) parser.currentLocation().getByteOffset());
        }
      }
      return new ArrayList<>(columns.values());
    }
  }
}
