package io.icebergonline.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.icebergonline.core.FeatureServiceSpec;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.reader.OnlineTableReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;

/**
 * Feast's {@code POST /get-online-features} on the online tables, in three steps: {@link
 * #resolve} the typed request as Feast's server does ({@code feast/utils.py}, {@code
 * _prepare_entities_to_read_from_online_store}: the features of the request or of its feature
 * service, grouped by view; name collisions; entity columns converted to each join key's type),
 * read each distinct key once per view, and render what Feast's server returns ({@code
 * feature_server_utils.convert_response_to_dict}): {@code metadata.feature_names} with the join
 * keys first, and per name a result of {@code values}, {@code statuses} and {@code
 * event_timestamps}. The whole request is checked before any read, and a request past its
 * deadline fails as a whole: never a partial answer. The features a request names resolve the
 * same way every time, so their resolution is kept per distinct feature list; the answer is
 * written straight to JSON bytes, each row's event time formatted once per view.
 */
final class OnlineFeatures implements AutoCloseable {
  static final String PRESENT = "PRESENT";
  static final String NULL_VALUE = "NULL_VALUE";
  static final String NOT_FOUND = "NOT_FOUND";
  static final String OUTSIDE_MAX_AGE = "OUTSIDE_MAX_AGE";
  /** A {@code google.protobuf.Timestamp} left unset, as Feast's JSON shows it. */
  static final String NO_TIMESTAMP = Instant.EPOCH.toString();
  private static final SerializableString NO_TIMESTAMP_JSON = new SerializedString(NO_TIMESTAMP);

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** Doubles written by Jackson's Schubfach writer (the shortest digits that read back as the same double), faster than JDK 17's Double.toString. */
  private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
      .build();
  /** The statuses and field names of every answer, quoted and encoded once. */
  private static final SerializableString PRESENT_JSON = new SerializedString(PRESENT);
  private static final SerializableString NULL_VALUE_JSON = new SerializedString(NULL_VALUE);
  private static final SerializableString NOT_FOUND_JSON = new SerializedString(NOT_FOUND);
  private static final SerializableString OUTSIDE_MAX_AGE_JSON = new SerializedString(OUTSIDE_MAX_AGE);
  private static final SerializableString VALUES = new SerializedString("values");
  private static final SerializableString STATUSES = new SerializedString("statuses");
  private static final SerializableString EVENT_TIMESTAMPS = new SerializedString("event_timestamps");
  /** How many distinct feature lists keep their resolution; clients send a handful, this bounds a hostile one. */
  static final int RESOLUTIONS_KEPT = 1_024;
  /** Feast's {@code _parse_feature_ref}: {@code view}, {@code view@latest}, {@code view@} or {@code view@vN}, then {@code :feature}. */
  private static final Pattern VERSION = Pattern.compile("([^@]*)@(|latest|[vV]([0-9]+))", Pattern.CASE_INSENSITIVE);

  private final Map<String, ViewReader> views;
  private final Map<String, FeatureServiceSpec> services;
  /** Every join key of every view: Feast echoes a join key of any entity it knows, requested or not. */
  private final Set<String> joinKeys = new HashSet<>();
  private final int maxEntities;
  private final ServerMetrics metrics;
  private final LongSupplier clockMillis;
  private final Map<Wanted, Map<String, List<Feature>>> resolutions = new ConcurrentHashMap<>();

  OnlineFeatures(Map<String, ViewReader> views, List<FeatureServiceSpec> services, int maxEntities,
      ServerMetrics metrics, LongSupplier clockMillis) {
    this.views = views;
    this.services = new LinkedHashMap<>();
    services.forEach(service -> this.services.put(service.name(), service));
    views.values().forEach(view -> view.view().entities().forEach(entity -> joinKeys.add(entity.name())));
    this.maxEntities = maxEntities;
    this.metrics = metrics;
    this.clockMillis = clockMillis;
  }

  /** One requested feature: where the request names it, its view and feature. */
  private record Ref(String where, String view, String feature) {
    String name() {
      return view + ":" + feature;
    }
  }

  /** What a request asks for, as far as resolving its features goes. */
  private record Wanted(List<String> features, String featureService, boolean fullNames) {}

  /** One requested feature of a view: its spec, its name in the answer, and how it is read from a row. */
  private record Feature(FieldSpec spec, SerializableString answerName, RowData.FieldGetter getter) {}

  /** One requested view: its features in request order and the key of each entity row. */
  private record ViewRead(ViewReader reader, List<Feature> features, List<RowData> keys) {}

  /**
   * A join key column of the answer: its name and values, converted to the type of the view that
   * reads it ({@code type} and {@code converted}), or as sent when no requested view reads it.
   */
  private record KeyColumn(String name, FieldSpec type, List<Object> converted, List<JsonNode> sent) {}

  /** A request checked whole and ready to read. */
  private record Resolved(List<KeyColumn> keyColumns, List<ViewRead> views, int rows, boolean fullNames) {}

  /** The answer to {@code request} as JSON bytes; a {@link RequestException} when it is refused. */
  byte[] get(GetOnlineFeaturesRequest request, long deadlineNanos) {
    Resolved resolved = resolve(request);
    List<Map<RowData, RowData>> found = new ArrayList<>();
    for (ViewRead view : resolved.views()) {
      found.add(read(view, deadlineNanos));
    }
    metrics.entityRows(resolved.rows());
    return render(resolved, found);
  }

  private Resolved resolve(GetOnlineFeaturesRequest request) {
    Map<String, List<Feature>> wanted = resolutions.get(new Wanted(request.features(), request.featureService(),
        request.fullFeatureNames()));
    if (wanted == null) {
      wanted = featuresByView(featureRefs(request), request.fullFeatureNames(),
          request.featureService() != null && !request.featureService().isEmpty());
      if (resolutions.size() < RESOLUTIONS_KEPT) {
        resolutions.put(new Wanted(List.copyOf(request.features()), request.featureService(),
            request.fullFeatureNames()), wanted);
      }
    }
    Map<String, List<JsonNode>> entities = request.entities();
    int rows = rows(entities);
    // each join key column converted once per type; echoed as the first requested view that has it reads it
    Map<String, List<Object>> converted = new HashMap<>();
    Map<String, FieldSpec> echoed = new HashMap<>();
    List<ViewRead> reads = new ArrayList<>();
    for (Map.Entry<String, List<Feature>> entry : wanted.entrySet()) {
      ViewReader reader = views.get(entry.getKey());
      List<FieldSpec> columns = reader.view().entities();
      List<List<Object>> values = new ArrayList<>();
      for (FieldSpec column : columns) {
        if (!entities.containsKey(column.name())) {
          throw RequestException.badRequest("entities: feature view '" + entry.getKey() + "' needs join key '"
              + column.name() + "'; the request has " + FeastValues.shown(entities.keySet()));
        }
        values.add(converted.computeIfAbsent(column.name() + ":" + column.type(),
            name -> convert(column, entities.get(column.name()))));
        echoed.putIfAbsent(column.name(), column);
      }
      List<RowData> keys = new ArrayList<>(rows);
      for (int row = 0; row < rows; row++) {
        GenericRowData key = new GenericRowData(columns.size());
        for (int c = 0; c < columns.size(); c++) {
          key.setField(c, values.get(c).get(row));
        }
        keys.add(key);
      }
      reads.add(new ViewRead(reader, entry.getValue(), keys));
    }
    return new Resolved(keyColumns(entities, converted, echoed), reads, rows, request.fullFeatureNames());
  }

  /**
   * The requested features grouped by view, views in the order first named, as Feast's {@code
   * utils._group_feature_refs} groups them, after the checks Feast makes before: views exist
   * ({@code FeatureViewNotFoundException}), names do not collide; then features exist.
   */
  private Map<String, List<Feature>> featuresByView(List<Ref> refs, boolean fullNames, boolean fromService) {
    Map<String, List<Feature>> wanted = new LinkedHashMap<>();
    for (Ref ref : refs) {
      if (!views.containsKey(ref.view())) {
        throw RequestException.feast(404, "FeatureViewNotFoundException", ref.where() + ": Feature view "
            + FeastValues.shown(ref.view()) + " does not exist; the server has " + views.keySet());
      }
      wanted.putIfAbsent(ref.view(), new ArrayList<>());
    }
    refuseCollisions(refs, fullNames, fromService);
    for (Ref ref : refs) {
      FeatureViewSpec view = views.get(ref.view()).view();
      FieldSpec feature = view.features().stream().filter(field -> field.name().equals(ref.feature())).findFirst()
          .orElseThrow(() -> RequestException.badRequest(ref.where() + ": Feature " + FeastValues.shown(ref.feature())
              + " not found in projection " + view.name() + "; its features are "
              + view.features().stream().map(FieldSpec::name).toList()));
      wanted.get(ref.view()).add(new Feature(feature, new SerializedString(fullNames ? view.name() + "__" + feature.name() : feature.name()),
          RowData.createFieldGetter(feature.type().flinkType(true), view.features().indexOf(feature))));
    }
    wanted.replaceAll((view, features) -> List.copyOf(features));
    return Collections.unmodifiableMap(wanted);
  }

  /**
   * The join key columns of the answer, in request order: every join key Feast's server knows
   * (of any view), converted as the requested view reads it, a join key of no requested view as
   * sent; entity columns that are no join key are left out.
   */
  private List<KeyColumn> keyColumns(Map<String, List<JsonNode>> entities, Map<String, List<Object>> converted,
      Map<String, FieldSpec> echoed) {
    List<KeyColumn> keyColumns = new ArrayList<>();
    for (Map.Entry<String, List<JsonNode>> column : entities.entrySet()) {
      if (!joinKeys.contains(column.getKey())) {
        continue;
      }
      FieldSpec key = echoed.get(column.getKey());
      keyColumns.add(new KeyColumn(column.getKey(), key, key == null ? null : converted.get(key.name() + ":"
          + key.type()), column.getValue()));
    }
    return keyColumns;
  }

  /** The requested features: the feature service's, else {@code features} parsed as Feast parses them. */
  private List<Ref> featureRefs(GetOnlineFeaturesRequest request) {
    String serviceName = request.featureService();
    if (serviceName != null && !serviceName.isEmpty()) {
      FeatureServiceSpec service = services.get(serviceName);
      if (service == null) {
        throw RequestException.feast(404, "FeatureServiceNotFoundException", "feature_service: Feature service "
            + FeastValues.shown(serviceName) + " does not exist; the server has " + services.keySet());
      }
      String where = "feature_service '" + serviceName + "'";
      return service.features().stream().map(ref -> new Ref(where, ref.view(), ref.feature())).toList();
    }
    List<String> features = request.features();
    if (features.isEmpty()) {
      throw RequestException.badRequest("features: No features specified for retrieval (neither 'features' nor "
          + "'feature_service')");
    }
    List<Ref> refs = new ArrayList<>(features.size());
    for (int i = 0; i < features.size(); i++) {
      String where = "features[" + i + "]";
      String reference = features.get(i);
      int colon = reference.indexOf(':');
      if (colon < 0) {
        throw RequestException.badRequest(where + ": Invalid feature reference " + FeastValues.shown(NODES.textNode(
            reference)) + ". Expected format: '<feature_view>:<feature>'");
      }
      String view = reference.substring(0, colon);
      Matcher version = VERSION.matcher(view);
      if (version.matches()) {
        if (version.group(3) != null) {
          throw RequestException.badRequest(where + ": Version-qualified ref " + FeastValues.shown(NODES.textNode(
              reference)) + " not supported: the feature views of this server have no versions");
        }
        view = version.group(1);
      }
      refs.add(new Ref(where, view, reference.substring(colon + 1)));
    }
    return refs;
  }

  /**
   * Feast's {@code utils._validate_feature_refs}: without full feature names, two features of one
   * name collide (from two views, or one requested twice); with them, one feature requested twice.
   */
  private static void refuseCollisions(List<Ref> refs, boolean fullNames, boolean fromService) {
    Map<String, List<Ref>> byName = new LinkedHashMap<>();
    for (Ref ref : refs) {
      byName.computeIfAbsent(fullNames ? ref.name() : ref.feature(), name -> new ArrayList<>()).add(ref);
    }
    Set<String> where = new LinkedHashSet<>();
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, List<Ref>> entry : byName.entrySet()) {
      if (entry.getValue().size() > 1) {
        entry.getValue().forEach(ref -> where.add(ref.where()));
        names.add(FeastValues.shown(fullNames ? entry.getKey().replace(":", "__") : entry.getKey()));
      }
    }
    if (names.isEmpty()) {
      return;
    }
    String advice = fullNames
        ? "To resolve this collision, please ensure that the feature views or their own features have different "
            + "names. If you're intentionally joining the same feature view twice on different sets of entities, "
            + "please rename one of the feature views with '.with_name'."
        : "To resolve this collision, either use the full feature name by setting 'full_feature_names=True', or "
            + "ensure that the features in question have different names.";
    throw RequestException.feast(400, "FeatureNameCollisionError", (fromService ? where.iterator().next()
        : String.join(", ", where)) + ": Duplicate features named " + String.join(", ", names) + " found.\n" + advice);
  }

  /** The number of entity rows: every column has as many values, at least one and at most max_entities. */
  private int rows(Map<String, List<JsonNode>> entities) {
    if (entities.isEmpty()) {
      throw RequestException.badRequest("entities: expected at least one join key with its values, got none");
    }
    String firstKey = entities.keySet().iterator().next();
    String first = FeastValues.shown(firstKey);
    int rows = entities.get(firstKey).size();
    for (Map.Entry<String, List<JsonNode>> column : entities.entrySet()) {
      int size = column.getValue().size();
      if (size != rows) {
        throw RequestException.badRequest("entities." + FeastValues.shown(column.getKey()) + ": has " + size
            + " values but entities." + first + " has " + rows + "; All entity rows must have the same columns");
      }
    }
    if (rows == 0) {
      throw RequestException.badRequest("entities." + first + ": expected at least one value (Feast's server fails "
          + "on empty join key values too)");
    }
    if (rows > maxEntities) {
      throw new RequestException(413, "entities." + first + ": " + rows + " entity rows, more than the server's "
          + "max_entities of " + maxEntities);
    }
    return rows;
  }

  private static List<Object> convert(FieldSpec column, List<JsonNode> values) {
    List<Object> keys = new ArrayList<>(values.size());
    for (int row = 0; row < values.size(); row++) {
      keys.add(FeastValues.entityKey(column.type(), values.get(row), "entities." + column.name() + "[" + row + "]"));
    }
    return keys;
  }

  /** Each distinct key of the view read once: key to its newest row, null when there is none. */
  private Map<RowData, RowData> read(ViewRead view, long deadlineNanos) {
    OnlineTableReader reader = view.reader().reader();
    Map<RowData, RowData> found = new HashMap<>();
    for (RowData key : view.keys()) {
      if (!found.containsKey(key)) {
        if (System.nanoTime() - deadlineNanos > 0) {
          throw new RequestException(504, "the request took longer than the server's request_timeout");
        }
        OnlineTableReader.Result result = reader.lookup(key);
        metrics.lookup(result);
        found.put(key, result.row());
      }
    }
    return found;
  }

  private byte[] render(Resolved resolved, List<Map<RowData, RowData>> found) {
    // Jackson's pooled buffers, as ObjectMapper.writeValueAsBytes uses them
    BufferRecycler buffers = JSON.getFactory()._getBufferRecycler();
    try (ByteArrayBuilder bytes = new ByteArrayBuilder(buffers)) {
      try (JsonGenerator json = JSON.createGenerator(bytes)) {
        write(json, resolved, found);
      }
      return bytes.getClearAndRelease();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      buffers.releaseToPool();
    }
  }

  private void write(JsonGenerator json, Resolved resolved, List<Map<RowData, RowData>> found) throws IOException {
    json.writeStartObject();
    json.writeObjectFieldStart("metadata");
    json.writeArrayFieldStart("feature_names");
    for (KeyColumn column : resolved.keyColumns()) {
      json.writeString(column.name());
    }
    for (ViewRead view : resolved.views()) {
      for (Feature feature : view.features()) {
        json.writeString(feature.answerName());
      }
    }
    json.writeEndArray();
    json.writeEndObject();
    json.writeArrayFieldStart("results");
    for (KeyColumn column : resolved.keyColumns()) {
      json.writeStartObject();
      json.writeFieldName(VALUES);
      json.writeStartArray();
      for (int row = 0; row < resolved.rows(); row++) {
        if (column.converted() == null) {
          json.writeTree(column.sent().get(row));
        } else {
          FeastValues.write(json, column.type().type(), column.converted().get(row));
        }
      }
      json.writeEndArray();
      repeat(json, STATUSES, resolved.rows(), PRESENT_JSON);
      repeat(json, EVENT_TIMESTAMPS, resolved.rows(), NO_TIMESTAMP_JSON);
      json.writeEndObject();
    }
    for (int v = 0; v < resolved.views().size(); v++) {
      renderView(json, resolved.views().get(v), found.get(v));
    }
    json.writeEndArray();
    json.writeEndObject();
  }

  /** The view's features, each with a value, a status and an event time per entity row; statuses counted once. */
  private void renderView(JsonGenerator json, ViewRead view, Map<RowData, RowData> found) throws IOException {
    FeatureViewSpec spec = view.reader().view();
    int eventTimeIndex = spec.features().size();
    Duration ttl = spec.ttl();
    long oldestMillis = ttl == null ? Long.MIN_VALUE : clockMillis.getAsLong() - ttl.toMillis();
    int rows = view.keys().size();
    RowData[] rowOf = new RowData[rows];
    String[] eventTimes = new String[rows];
    boolean[] expired = new boolean[rows];
    for (int i = 0; i < rows; i++) {
      RowData row = found.get(view.keys().get(i));
      rowOf[i] = row;
      if (row == null) {
        eventTimes[i] = NO_TIMESTAMP;
      } else {
        Instant eventTime = row.getTimestamp(eventTimeIndex, 6).toInstant();
        eventTimes[i] = eventTime.toString();
        expired[i] = eventTime.toEpochMilli() < oldestMillis;
      }
    }
    long present = 0;
    long nullValue = 0;
    long notFound = 0;
    long outsideMaxAge = 0;
    for (Feature feature : view.features()) {
      json.writeStartObject();
      json.writeFieldName(VALUES);
      json.writeStartArray();
      SerializableString[] statuses = new SerializableString[rows];
      for (int i = 0; i < rows; i++) {
        if (rowOf[i] == null) {
          json.writeNull();
          statuses[i] = NOT_FOUND_JSON;
          notFound++;
        } else if (expired[i]) {
          json.writeNull();
          statuses[i] = OUTSIDE_MAX_AGE_JSON;
          outsideMaxAge++;
        } else {
          Object value = feature.getter().getFieldOrNull(rowOf[i]);
          FeastValues.write(json, feature.spec().type(), value);
          if (value == null) {
            statuses[i] = NULL_VALUE_JSON;
            nullValue++;
          } else {
            statuses[i] = PRESENT_JSON;
            present++;
          }
        }
      }
      json.writeEndArray();
      json.writeFieldName(STATUSES);
      json.writeStartArray();
      for (SerializableString status : statuses) {
        json.writeString(status);
      }
      json.writeEndArray();
      json.writeFieldName(EVENT_TIMESTAMPS);
      json.writeStartArray();
      for (String eventTime : eventTimes) {
        json.writeString(eventTime);
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    metrics.statuses(present, nullValue, notFound, outsideMaxAge);
  }

  private static void repeat(JsonGenerator json, SerializableString field, int count, SerializableString value)
      throws IOException {
    json.writeFieldName(field);
    json.writeStartArray();
    for (int i = 0; i < count; i++) {
      json.writeString(value);
    }
    json.writeEndArray();
  }

  @Override
  public void close() throws Exception {
    for (ViewReader view : views.values()) {
      view.close();
    }
  }
}
