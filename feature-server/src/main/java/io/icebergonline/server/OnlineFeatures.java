package io.icebergonline.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.reader.OnlineTableReader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;

/**
 * Feast's {@code POST /get-online-features} on the online tables. The request is Feast's
 * {@code GetOnlineFeaturesRequest} ({@code feast/feature_server.py}); the answer is what Feast's
 * server returns, {@code MessageToDict} of a {@code GetOnlineFeaturesResponse} with Feast's JSON
 * patches ({@code feast/proto_json.py}): {@code metadata.feature_names} with the join keys first,
 * and per name a result of {@code values}, {@code statuses} and {@code event_timestamps}, as
 * {@code feast/utils.py} fills them ({@code _populate_result_rows_from_columnar} for join keys,
 * {@code _populate_response_from_feature_data} for features). Each distinct key is read once per
 * view. The whole request is checked before any read, and a request past its deadline fails as a
 * whole: never a partial answer.
 */
final class OnlineFeatures implements AutoCloseable {
  static final String PRESENT = "PRESENT";
  static final String NULL_VALUE = "NULL_VALUE";
  static final String NOT_FOUND = "NOT_FOUND";
  static final String OUTSIDE_MAX_AGE = "OUTSIDE_MAX_AGE";
  /** A {@code google.protobuf.Timestamp} left unset, as Feast's JSON shows it. */
  static final String NO_TIMESTAMP = Instant.EPOCH.toString();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Set<String> REQUEST_KEYS = Set.of("features", "entities", "full_feature_names", "feature_service");

  private final Map<String, ViewReader> views;
  private final int maxEntities;
  private final ServerMetrics metrics;
  private final LongSupplier clockMillis;

  OnlineFeatures(Map<String, ViewReader> views, int maxEntities, ServerMetrics metrics, LongSupplier clockMillis) {
    this.views = views;
    this.maxEntities = maxEntities;
    this.metrics = metrics;
    this.clockMillis = clockMillis;
  }

  /** One requested view and the features wanted of it, in request order. */
  private record ViewRequest(ViewReader reader, List<FieldSpec> features) {}

  ObjectNode get(JsonNode request, long deadlineNanos) {
    if (request == null || !request.isObject()) {
      throw RequestException.badRequest("expected a JSON object with 'features' and 'entities'");
    }
    for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!REQUEST_KEYS.contains(name)) {
        throw RequestException.badRequest(name + ": unknown field; expected " + List.of("features", "entities",
            "full_feature_names"));
      }
    }
    JsonNode service = request.get("feature_service");
    if (service != null && !service.isNull()) {
      throw RequestException.badRequest("feature_service: feature services are not supported; list the features as "
          + "'feature_view:feature' in 'features'");
    }
    boolean fullNames = false;
    JsonNode fullNamesNode = request.get("full_feature_names");
    if (fullNamesNode != null && !fullNamesNode.isNull()) {
      if (!fullNamesNode.isBoolean()) {
        throw RequestException.badRequest("full_feature_names: expected true or false, got " + FeastValues.shown(fullNamesNode));
      }
      fullNames = fullNamesNode.booleanValue();
    }
    Map<String, ViewRequest> wanted = features(request.get("features"));
    Map<String, JsonNode> entities = entities(request.get("entities"));
    int rows = entities.values().iterator().next().size();

    Set<String> joinKeys = new LinkedHashSet<>();
    for (ViewRequest view : wanted.values()) {
      for (FieldSpec entity : view.reader().view().entities()) {
        if (!entities.containsKey(entity.name())) {
          throw RequestException.badRequest("entities: feature view '" + view.reader().view().name()
              + "' needs join key '" + entity.name() + "'; the request has " + entities.keySet());
        }
        joinKeys.add(entity.name());
      }
    }
    for (String key : entities.keySet()) {
      if (!joinKeys.contains(key)) {
        throw RequestException.badRequest("entities." + key + ": not a join key of the requested feature views "
            + wanted.keySet() + "; their join keys are " + joinKeys);
      }
    }
    // all keys checked (and typed) before the first read
    Map<String, List<RowData>> keyRows = new LinkedHashMap<>();
    for (ViewRequest view : wanted.values()) {
      keyRows.put(view.reader().view().name(), keyRows(view.reader().view(), entities, rows));
    }

    ArrayNode names = NODES.arrayNode();
    ArrayNode results = NODES.arrayNode();
    for (Map.Entry<String, JsonNode> entity : entities.entrySet()) {
      names.add(entity.getKey());
      ObjectNode result = results.addObject();
      result.set("values", entity.getValue().deepCopy());
      fill(result.putArray("statuses"), rows, PRESENT);
      fill(result.putArray("event_timestamps"), rows, NO_TIMESTAMP);
    }
    for (ViewRequest view : wanted.values()) {
      FeatureViewSpec spec = view.reader().view();
      OnlineTableReader reader = view.reader().reader();
      List<RowData> keys = keyRows.get(spec.name());
      Map<RowData, RowData> found = new HashMap<>();
      for (RowData key : keys) {
        if (!found.containsKey(key)) {
          if (System.nanoTime() - deadlineNanos > 0) {
            throw new RequestException(504, "the request took longer than the server's request_timeout");
          }
          OnlineTableReader.Result result = reader.lookup(key);
          metrics.lookup(result);
          found.put(key, result.row());
        }
      }
      appendView(spec, view.features(), keys, found, fullNames, names, results);
    }
    metrics.entityRows(rows);
    ObjectNode response = NODES.objectNode();
    response.putObject("metadata").set("feature_names", names);
    response.set("results", results);
    return response;
  }

  private void appendView(FeatureViewSpec spec, List<FieldSpec> features, List<RowData> keys,
      Map<RowData, RowData> found, boolean fullNames, ArrayNode names, ArrayNode results) {
    List<String> columns = new ArrayList<>();
    spec.features().forEach(feature -> columns.add(feature.name()));
    int eventTimeIndex = columns.size();
    Duration ttl = spec.ttl();
    long now = clockMillis.getAsLong();
    for (FieldSpec feature : features) {
      names.add(fullNames ? spec.name() + "__" + feature.name() : feature.name());
      ObjectNode result = results.addObject();
      ArrayNode values = result.putArray("values");
      ArrayNode statuses = result.putArray("statuses");
      ArrayNode timestamps = result.putArray("event_timestamps");
      int index = columns.indexOf(feature.name());
      RowData.FieldGetter getter = RowData.createFieldGetter(feature.type().flinkType(true), index);
      for (RowData key : keys) {
        RowData row = found.get(key);
        if (row == null) {
          values.addNull();
          statuses.add(NOT_FOUND);
          timestamps.add(NO_TIMESTAMP);
          metrics.status(NOT_FOUND);
          continue;
        }
        Instant eventTime = row.getTimestamp(eventTimeIndex, 6).toInstant();
        timestamps.add(eventTime.toString());
        String status;
        if (ttl != null && eventTime.toEpochMilli() < now - ttl.toMillis()) {
          values.addNull();
          status = OUTSIDE_MAX_AGE;
        } else {
          Object value = getter.getFieldOrNull(row);
          values.add(FeastValues.toJson(feature.type(), value));
          status = value == null ? NULL_VALUE : PRESENT;
        }
        statuses.add(status);
        metrics.status(status);
      }
    }
  }

  private Map<String, ViewRequest> features(JsonNode node) {
    if (node == null || node.isNull()) {
      throw RequestException.badRequest("features: required, a list of 'feature_view:feature'");
    }
    if (!node.isArray() || node.isEmpty()) {
      throw RequestException.badRequest("features: expected a non-empty list of 'feature_view:feature', got "
          + FeastValues.shown(node));
    }
    Map<String, ViewRequest> wanted = new LinkedHashMap<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String where = "features[" + i + "]";
      JsonNode item = node.get(i);
      String reference = item.isTextual() ? item.textValue() : null;
      int colon = reference == null ? -1 : reference.indexOf(':');
      if (colon <= 0 || colon == reference.length() - 1) {
        throw RequestException.badRequest(where + ": expected 'feature_view:feature', got " + FeastValues.shown(item));
      }
      String viewName = reference.substring(0, colon);
      String featureName = reference.substring(colon + 1);
      ViewReader reader = views.get(viewName);
      if (reader == null) {
        throw new RequestException(404, where + ": unknown feature view '" + viewName + "'; the server has "
            + views.keySet());
      }
      FieldSpec feature = reader.view().features().stream().filter(f -> f.name().equals(featureName)).findFirst()
          .orElseThrow(() -> new RequestException(404, where + ": feature view '" + viewName + "' has no feature '"
              + featureName + "'; its features are " + reader.view().features().stream().map(FieldSpec::name).toList()));
      if (!seen.add(reference)) {
        throw RequestException.badRequest(where + ": '" + reference + "' is requested twice");
      }
      wanted.computeIfAbsent(viewName, name -> new ViewRequest(reader, new ArrayList<>())).features().add(feature);
    }
    return wanted;
  }

  private Map<String, JsonNode> entities(JsonNode node) {
    if (node == null || node.isNull()) {
      throw RequestException.badRequest("entities: required, a mapping of join key to a list of values");
    }
    if (!node.isObject() || node.isEmpty()) {
      throw RequestException.badRequest("entities: expected a non-empty mapping of join key to a list of values, got "
          + FeastValues.shown(node));
    }
    Map<String, JsonNode> entities = new LinkedHashMap<>();
    String first = null;
    for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode values = field.getValue();
      if (!values.isArray()) {
        throw RequestException.badRequest("entities." + field.getKey() + ": expected a list of values, got "
            + FeastValues.shown(values));
      }
      if (values.isEmpty()) {
        throw RequestException.badRequest("entities." + field.getKey() + ": expected at least one value");
      }
      if (values.size() > maxEntities) {
        throw new RequestException(413, "entities." + field.getKey() + ": " + values.size()
            + " entity rows, more than the server's max_entities of " + maxEntities);
      }
      if (first != null && values.size() != entities.get(first).size()) {
        throw RequestException.badRequest("entities." + field.getKey() + ": has " + values.size() + " values but entities."
            + first + " has " + entities.get(first).size() + "; every join key needs one value per entity row");
      }
      if (first == null) {
        first = field.getKey();
      }
      entities.put(field.getKey(), values);
    }
    return entities;
  }

  private static List<RowData> keyRows(FeatureViewSpec view, Map<String, JsonNode> entities, int rows) {
    List<RowData> keys = new ArrayList<>(rows);
    List<FieldSpec> columns = view.entities();
    for (int row = 0; row < rows; row++) {
      GenericRowData key = new GenericRowData(columns.size());
      for (int c = 0; c < columns.size(); c++) {
        FieldSpec column = columns.get(c);
        key.setField(c, FeastValues.entityKey(column.type(), entities.get(column.name()).get(row),
            "entities." + column.name() + "[" + row + "]"));
      }
      keys.add(key);
    }
    return keys;
  }

  private static void fill(ArrayNode array, int count, String value) {
    for (int i = 0; i < count; i++) {
      array.add(value);
    }
  }

  /** Feature views whose tables cannot be read now. */
  List<String> unreadableViews() {
    return views.values().stream().filter(view -> !view.readable()).map(view -> view.view().name()).toList();
  }

  @Override
  public void close() throws Exception {
    for (ViewReader view : views.values()) {
      view.close();
    }
  }
}
