package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feast's clients against the server: the bodies Feast's remote online store sends, byte for
 * byte, each pinned from feast-dev/feast at the tag and file it comes from, and the answers read
 * the way that version's {@code remote.py} reads them. Every answer must equal the oracle: what
 * Feast's server answers ({@code utils.py}, {@code feature_server_utils.py} at v0.66.0), computed
 * from the rows this test wrote with Iceberg's generic writers, with no code of the server.
 *
 * <p>What the two generations send (Python's {@code requests} posts {@code json=req_body} as
 * {@code json.dumps(req_body)}: {@code ", "} and {@code ": "} separators, keys in insertion order):
 *
 * <ul>
 *   <li>v0.64.0 to v0.66.0: {@code sdk/python/feast/infra/online_stores/remote.py}, {@code
 *       RemoteOnlineStore.get_online_features}: the whole request, entities columnar and
 *       unconverted, {@code full_feature_names}, {@code include_feature_view_version_metadata},
 *       and {@code feature_service} (its name) or {@code features}.
 *   <li>v0.63.0: the same file, {@code online_read} with {@code
 *       _construct_online_read_api_json_request}: one body per feature view, after the client
 *       resolved features, feature services and full names itself and converted and deduplicated
 *       (sorted) the entity values: {@code features} and the values of the first join key only.
 *       A null entity value never leaves a v0.63 client ({@code _get_unique_entities} fails on
 *       it), and a composite key cannot be sent whole.
 * </ul>
 */
class FeastClientParityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MICROS);
  private static final Instant FRESH = NOW.minus(Duration.ofMinutes(5));
  private static final Instant EXPIRED = NOW.minus(Duration.ofHours(3));
  private static final Duration DRIVER_TTL = Duration.ofHours(1);

  /** The oracle's input: per view, key to the row this test wrote last for it (deleted keys absent). */
  private static final Map<String, Map<List<Object>, Written>> WRITTEN = new HashMap<>();

  @TempDir
  static Path warehouse;

  private static FeatureServer server;
  private static String base;

  /** A row as written: feature name to value (Double, Long, String or null) and its event time. */
  private record Written(Map<String, Object> features, Instant eventTime) {}

  @BeforeAll
  static void startServerOnWrittenTables() throws Exception {
    JobConfig job = JobConfigParser.parse(String.join("\n",
        "online_store: { type: iceberg, catalog_type: hadoop, warehouse: \"" + warehouse.toUri() + "\" }",
        // nothing is pushed here: the producer never connects
        "kafka: { bootstrap_servers: \"127.0.0.1:9\" }",
        "dead_letter_topic: dead-letters",
        "feature_views:",
        "  - name: driver_stats",
        "    topic: drivers",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: trips, type: INT64 }, { name: city, type: STRING } ]",
        "    ttl: 1h",
        "    buckets: 4",
        "  - name: customer_region",
        "    topic: customers",
        "    entities: [ { name: customer_id, type: STRING }, { name: region, type: INT32 } ]",
        "    features: [ { name: spend, type: DOUBLE }, { name: city, type: STRING } ]",
        "    buckets: 2",
        "feature_services:",
        "  driver_activity: [ \"driver_stats:conv_rate\", \"driver_stats:trips\" ]",
        "  everything: [ driver_stats, customer_region ]",
        ""), name -> null);
    Catalog catalog = IcebergCatalogs.load(job.onlineStore());

    FeatureViewSpec driverView = job.featureView("driver_stats").orElseThrow();
    Table drivers = OnlineTables.createOrVerify(catalog, job.onlineStore().namespace(), driverView);
    GenericUpserts driverWriter = new GenericUpserts(drivers, OnlineTableLayout.of(driverView).equalityColumns());
    driverWriter.upsert(List.of(
        driver(driverWriter, 1001, 0.25, 7L, "Oslo", FRESH.minusSeconds(60)),
        driver(driverWriter, 1002, 0.5, null, "Riga", FRESH),
        driver(driverWriter, 1003, 0.75, 9L, "Lisbon", EXPIRED),
        driver(driverWriter, 1004, 0.1, 1L, "Berlin", FRESH)));
    driverWriter.upsert(List.of(driver(driverWriter, 1001, 0.3, 8L, "Oslo", FRESH.plusMillis(1).plusNanos(1000))));
    driverWriter.delete(List.of(driver(driverWriter, 1004, 0, 0L, "", FRESH)));
    WRITTEN.get("driver_stats").remove(List.of(1004L));

    FeatureViewSpec customerView = job.featureView("customer_region").orElseThrow();
    OnlineTableLayout customerLayout = OnlineTableLayout.of(customerView);
    Table customers = OnlineTables.createOrVerify(catalog, job.onlineStore().namespace(), customerView);
    GenericUpserts customerWriter = new GenericUpserts(customers, customerLayout.equalityColumns());
    customerWriter.upsert(List.of(
        customer(customerWriter, customerLayout, "alice", 7, 12.5, "Paris", FRESH),
        customer(customerWriter, customerLayout, "alice", 8, null, "Rome", FRESH.minusSeconds(1)),
        customer(customerWriter, customerLayout, "bob", 7, 3.0, "Oslo", EXPIRED)));

    server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0));
    base = "http://127.0.0.1:" + server.port();
  }

  private static Record driver(GenericUpserts writer, long id, double convRate, Long trips, String city,
      Instant eventTime) {
    Record row = writer.newRow();
    row.setField("driver_id", id);
    row.setField("event_timestamp", OffsetDateTime.ofInstant(eventTime, ZoneOffset.UTC));
    row.setField("conv_rate", convRate);
    row.setField("trips", trips);
    row.setField("city", city);
    Map<String, Object> features = new HashMap<>();
    features.put("conv_rate", convRate);
    features.put("trips", trips);
    features.put("city", city);
    WRITTEN.computeIfAbsent("driver_stats", view -> new HashMap<>()).put(List.of(id), new Written(features, eventTime));
    return row;
  }

  private static Record customer(GenericUpserts writer, OnlineTableLayout layout, String id, int region, Double spend,
      String city, Instant eventTime) {
    Record row = writer.newRow();
    row.setField("customer_id", id);
    row.setField("region", region);
    row.setField(OnlineTableLayout.DERIVED_KEY_COLUMN, layout.keyValue(List.of(id, region)));
    row.setField("event_timestamp", OffsetDateTime.ofInstant(eventTime, ZoneOffset.UTC));
    row.setField("spend", spend);
    row.setField("city", city);
    Map<String, Object> features = new HashMap<>();
    features.put("spend", spend);
    features.put("city", city);
    WRITTEN.computeIfAbsent("customer_region", view -> new HashMap<>())
        .put(List.of(id, region), new Written(features, eventTime));
    return row;
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  // ---- Feast v0.66.0 (and v0.64.0, v0.65.0: the same get_online_features) ----

  @Test
  void v066FeaturesByReferenceAreAnsweredAsTheOracleAndReadByTheClient() throws Exception {
    // feast v0.66.0 remote.py get_online_features: features=["driver_stats:conv_rate", "driver_stats:trips",
    // "driver_stats:city"], entity_rows=[{"driver_id": 1001}, {"driver_id": 1002}, ..., {"driver_id": 1001}]
    String body = "{\"entities\": {\"driver_id\": [1001, 1002, 1003, 1004, 9999, 1001]}, \"full_feature_names\": false, "
        + "\"include_feature_view_version_metadata\": false, \"features\": [\"driver_stats:conv_rate\", "
        + "\"driver_stats:trips\", \"driver_stats:city\"]}";

    JsonNode answer = answered(body);

    assertThat(answer).isEqualTo(oracle(keys("driver_id", 1001L, 1002L, 1003L, 1004L, 9999L, 1001L),
        List.of("driver_stats:conv_rate", "driver_stats:trips", "driver_stats:city"), false));
    Map<String, List<JsonNode>> read = readV066(answer);
    assertThat(read.keySet()).containsExactly("driver_id", "conv_rate", "trips", "city");
    assertThat(read.get("trips")).containsExactly(JSON.readTree("8"), null, null, null, null, JSON.readTree("8"));
  }

  @Test
  void v066AFeatureServiceIsAnsweredWithItsFeatures() throws Exception {
    // feast v0.66.0 remote.py get_online_features: features=store.get_feature_service("driver_activity"),
    // entity_rows=[{"driver_id": 1001}, {"driver_id": 1002}]
    String body = "{\"entities\": {\"driver_id\": [1001, 1002]}, \"full_feature_names\": false, "
        + "\"include_feature_view_version_metadata\": false, \"feature_service\": \"driver_activity\"}";

    JsonNode answer = answered(body);

    assertThat(answer).isEqualTo(oracle(keys("driver_id", 1001L, 1002L),
        List.of("driver_stats:conv_rate", "driver_stats:trips"), false));
    assertThat(readV066(answer).keySet()).containsExactly("driver_id", "conv_rate", "trips");
  }

  @Test
  void v066AFeatureServiceOverTwoViewsWithFullFeatureNames() throws Exception {
    // feast v0.66.0 remote.py get_online_features: features=store.get_feature_service("everything"),
    // full_feature_names=True, entity_rows=[{"driver_id": 1001, "customer_id": "alice", "region": 7},
    // {"driver_id": 1003, "customer_id": "bob", "region": 7}]
    String body = "{\"entities\": {\"driver_id\": [1001, 1003], \"customer_id\": [\"alice\", \"bob\"], "
        + "\"region\": [7, 7]}, \"full_feature_names\": true, \"include_feature_view_version_metadata\": false, "
        + "\"feature_service\": \"everything\"}";

    JsonNode answer = answered(body);

    Map<String, List<Object>> keys = keys("driver_id", 1001L, 1003L);
    keys.putAll(keys("customer_id", "alice", "bob"));
    keys.putAll(keys("region", 7, 7));
    assertThat(answer).isEqualTo(oracle(keys, List.of("driver_stats:conv_rate", "driver_stats:trips",
        "driver_stats:city", "customer_region:spend", "customer_region:city"), true));
    assertThat(readV066(answer).keySet()).containsExactly("driver_id", "customer_id", "region",
        "driver_stats__conv_rate", "driver_stats__trips", "driver_stats__city", "customer_region__spend",
        "customer_region__city");
  }

  @Test
  void v066TheSameServiceWithoutFullFeatureNamesIsFeastsFeatureNameCollisionError() throws Exception {
    // as above with full_feature_names=False: both views have a feature 'city'
    String body = "{\"entities\": {\"driver_id\": [1001, 1003], \"customer_id\": [\"alice\", \"bob\"], "
        + "\"region\": [7, 7]}, \"full_feature_names\": false, \"include_feature_view_version_metadata\": false, "
        + "\"feature_service\": \"everything\"}";

    HttpResponse<String> response = post(body);

    assertThat(response.statusCode()).isEqualTo(400);
    FeastClientError error = FeastClientError.read(response.body());
    assertThat(error.feastClass()).isEqualTo("FeatureNameCollisionError");
    assertThat(error.message()).isEqualTo("feature_service 'everything': Duplicate features named city found.\n"
        + "To resolve this collision, either use the full feature name by setting 'full_feature_names=True', or "
        + "ensure that the features in question have different names.");
  }

  @Test
  void v066CompositeKeysAreReadWithAllJoinKeysColumnar() throws Exception {
    // feast v0.66.0 remote.py get_online_features: features=["customer_region:spend", "customer_region:city"],
    // entity_rows=[{"customer_id": "alice", "region": 7}, {"customer_id": "alice", "region": 8},
    // {"customer_id": "bob", "region": 7}, {"customer_id": "alice", "region": 9}]
    String body = "{\"entities\": {\"customer_id\": [\"alice\", \"alice\", \"bob\", \"alice\"], \"region\": [7, 8, 7, 9]}, "
        + "\"full_feature_names\": false, \"include_feature_view_version_metadata\": false, "
        + "\"features\": [\"customer_region:spend\", \"customer_region:city\"]}";

    JsonNode answer = answered(body);

    Map<String, List<Object>> keys = keys("customer_id", "alice", "alice", "bob", "alice");
    keys.putAll(keys("region", 7, 8, 7, 9));
    assertThat(answer).isEqualTo(oracle(keys, List.of("customer_region:spend", "customer_region:city"), false));
    assertThat(readV066(answer).get("city")).containsExactly(JSON.readTree("\"Paris\""), JSON.readTree("\"Rome\""),
        JSON.readTree("\"Oslo\""), null);
  }

  @Test
  void v066StringTypedEntityValuesAreConvertedAsFeastsTypeMapDoes() throws Exception {
    // feast v0.66.0 remote.py get_online_features: entity_rows=[{"driver_id": "1001"}, {"driver_id": "1002"},
    // {"driver_id": " 1_003 "}] sent as given; Feast's server converts them with int() (type_map.py)
    String body = "{\"entities\": {\"driver_id\": [\"1001\", \"1002\", \" 1_003 \"]}, \"full_feature_names\": false, "
        + "\"include_feature_view_version_metadata\": false, \"features\": [\"driver_stats:trips\", "
        + "\"driver_stats:city\"]}";

    JsonNode answer = answered(body);

    assertThat(answer).isEqualTo(oracle(keys("driver_id", 1001L, 1002L, 1003L),
        List.of("driver_stats:trips", "driver_stats:city"), false));
    assertThat(readV066(answer).get("driver_id")).containsExactly(JSON.readTree("1001"), JSON.readTree("1002"),
        JSON.readTree("1003"));
  }

  @Test
  void v066ExtraEntityColumnsAreIgnoredAndJoinKeysOfOtherViewsEchoed() throws Exception {
    // feast v0.66.0 remote.py get_online_features: entity_rows=[{"driver_id": 1001, "region": 7, "note": "x"}],
    // features=["driver_stats:trips"]; Feast's server echoes every join key it knows, drops other columns
    String body = "{\"entities\": {\"driver_id\": [1001], \"region\": [7], \"note\": [\"x\"]}, "
        + "\"full_feature_names\": false, \"include_feature_view_version_metadata\": false, "
        + "\"features\": [\"driver_stats:trips\"]}";

    JsonNode answer = answered(body);

    Map<String, List<Object>> keys = keys("driver_id", 1001L);
    keys.putAll(keys("region", 7));
    assertThat(answer).isEqualTo(oracle(keys, List.of("driver_stats:trips"), false));
  }

  @Test
  void v066ANullEntityValueIsRefusedNamingKeyAndIndexAsFeastsServerFailsOnIt() throws Exception {
    // feast v0.66.0 remote.py get_online_features: entity_rows=[{"driver_id": 1001}, {"driver_id": None}]
    String body = "{\"entities\": {\"driver_id\": [1001, null]}, \"full_feature_names\": false, "
        + "\"include_feature_view_version_metadata\": false, \"features\": [\"driver_stats:trips\"]}";

    HttpResponse<String> response = post(body);

    assertThat(response.statusCode()).isEqualTo(400);
    // not a FeastError: remote.py raises RuntimeError("Failed to get online features: 400 ...")
    FeastClientError error = FeastClientError.read(response.body());
    assertThat(error.feastClass()).isNull();
    assertThat(error.message()).startsWith("entities.driver_id[1]: a join key value must not be null");
  }

  // ---- Feast v0.63.0 ----

  @Test
  void v063FeaturesByReferenceAreReadByItsOnlineRead() throws Exception {
    // feast v0.63.0 remote.py _construct_online_read_api_json_request for features ["driver_stats:conv_rate",
    // "driver_stats:trips", "driver_stats:city"] and entity rows 1001, 1002, 1003, 1004, 9999, 1001 (deduplicated
    // and sorted by utils._get_unique_entities; the features in the order of a Python set, here as listed)
    String body = "{\"features\": [\"driver_stats:conv_rate\", \"driver_stats:trips\", \"driver_stats:city\"], "
        + "\"entities\": {\"driver_id\": [1001, 1002, 1003, 1004, 9999]}}";

    JsonNode answer = answered(body);

    List<String> features = List.of("driver_stats:conv_rate", "driver_stats:trips", "driver_stats:city");
    Map<String, List<Object>> keys = keys("driver_id", 1001L, 1002L, 1003L, 1004L, 9999L);
    assertThat(answer).isEqualTo(oracle(keys, features, false));
    assertThat(readV063(answer, 5, List.of("conv_rate", "trips", "city"))).isEqualTo(oracleV063(keys, features));
  }

  @Test
  void v063AFeatureServiceReachesTheServerResolvedByTheClient() throws Exception {
    // feast v0.63.0: get_online_features(features=<FeatureService driver_activity>, entity_rows=[{"driver_id": 1002},
    // {"driver_id": 1001}]) resolves the service in the client; remote.py online_read sends the view's features
    String body = "{\"features\": [\"driver_stats:conv_rate\", \"driver_stats:trips\"], "
        + "\"entities\": {\"driver_id\": [1001, 1002]}}";

    JsonNode answer = answered(body);

    List<String> features = List.of("driver_stats:conv_rate", "driver_stats:trips");
    Map<String, List<Object>> keys = keys("driver_id", 1001L, 1002L);
    assertThat(answer).isEqualTo(oracle(keys, features, false));
    assertThat(readV063(answer, 2, List.of("conv_rate", "trips"))).isEqualTo(oracleV063(keys, features));
  }

  @Test
  void v063StringTypedAndFullNameRequestsArriveConvertedAndWithoutTheFlag() throws Exception {
    // feast v0.63.0: entity_rows=[{"driver_id": "1003"}, {"driver_id": "1001"}], full_feature_names=True: the client
    // converts the values to INT64 (type_map.python_values_to_proto_values) and applies full names itself, so
    // remote.py _construct_online_read_api_json_request sends integers and no flag
    String body = "{\"features\": [\"driver_stats:city\"], \"entities\": {\"driver_id\": [1001, 1003]}}";

    JsonNode answer = answered(body);

    List<String> features = List.of("driver_stats:city");
    Map<String, List<Object>> keys = keys("driver_id", 1001L, 1003L);
    assertThat(answer).isEqualTo(oracle(keys, features, false));
    assertThat(readV063(answer, 2, List.of("city"))).isEqualTo(oracleV063(keys, features));
  }

  @Test
  void v063ACompositeKeyArrivesWithItsFirstJoinKeyOnlyAndIsRefusedNamingTheMissingOne() throws Exception {
    // feast v0.63.0 remote.py _construct_online_read_api_json_request sends row.join_keys[0] only
    String body = "{\"features\": [\"customer_region:spend\"], \"entities\": {\"customer_id\": [\"alice\", \"bob\"]}}";

    HttpResponse<String> response = post(body);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(FeastClientError.read(response.body()).message())
        .startsWith("entities: feature view 'customer_region' needs join key 'region'");
  }

  // ---- the oracle ----

  private static Map<String, List<Object>> keys(String joinKey, Object... values) {
    Map<String, List<Object>> keys = new LinkedHashMap<>();
    keys.put(joinKey, Arrays.asList(values));
    return keys;
  }

  /**
   * What Feast's server answers: the join key columns as given (PRESENT, unset timestamps), then
   * per view (first named first) its features as named: NOT_FOUND for a key not written (or
   * deleted), OUTSIDE_MAX_AGE past the view's ttl, NULL_VALUE for a null, else PRESENT.
   */
  private static ObjectNode oracle(Map<String, List<Object>> keys, List<String> features, boolean fullNames) {
    int rows = keys.values().iterator().next().size();
    ArrayNode names = JSON.createArrayNode();
    ArrayNode results = JSON.createArrayNode();
    keys.forEach((name, values) -> {
      names.add(name);
      ObjectNode result = results.addObject();
      ArrayNode keyValues = result.putArray("values");
      ArrayNode statuses = result.putArray("statuses");
      ArrayNode timestamps = result.putArray("event_timestamps");
      for (int row = 0; row < rows; row++) {
        keyValues.add(JSON.<JsonNode>valueToTree(values.get(row)));
        statuses.add("PRESENT");
        timestamps.add("1970-01-01T00:00:00Z");
      }
    });
    Map<String, List<String>> byView = new LinkedHashMap<>();
    features.forEach(ref -> byView.computeIfAbsent(ref.split(":")[0], view -> new ArrayList<>()).add(ref.split(":")[1]));
    byView.forEach((view, viewFeatures) -> {
      List<String> joinKeys = view.equals("driver_stats") ? List.of("driver_id") : List.of("customer_id", "region");
      for (String feature : viewFeatures) {
        names.add(fullNames ? view + "__" + feature : feature);
        ObjectNode result = results.addObject();
        ArrayNode values = result.putArray("values");
        ArrayNode statuses = result.putArray("statuses");
        ArrayNode timestamps = result.putArray("event_timestamps");
        for (int row = 0; row < rows; row++) {
          List<Object> key = new ArrayList<>();
          for (String joinKey : joinKeys) {
            key.add(keys.get(joinKey).get(row));
          }
          Written written = WRITTEN.get(view).get(key);
          Object value = null;
          String status;
          String timestamp = "1970-01-01T00:00:00Z";
          if (written == null) {
            status = "NOT_FOUND";
          } else {
            timestamp = feastTimestamp(written.eventTime());
            if (view.equals("driver_stats") && written.eventTime().isBefore(NOW.minus(DRIVER_TTL))) {
              status = "OUTSIDE_MAX_AGE";
            } else {
              value = written.features().get(feature);
              status = value == null ? "NULL_VALUE" : "PRESENT";
            }
          }
          values.add(JSON.<JsonNode>valueToTree(value));
          statuses.add(status);
          timestamps.add(timestamp);
        }
      }
    });
    ObjectNode answer = JSON.createObjectNode();
    answer.putObject("metadata").set("feature_names", names);
    answer.set("results", results);
    // as a client reads it from the wire (numbers as the smallest node that holds them)
    try {
      return (ObjectNode) JSON.readTree(JSON.writeValueAsString(answer));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** feature_server_utils._timestamp_to_str (v0.66.0): no fraction, or 3, 6 or 9 digits, then Z. */
  private static String feastTimestamp(Instant instant) {
    String seconds = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC).format(instant);
    int nanos = instant.getNano();
    if (nanos == 0) {
      return seconds + "Z";
    }
    if (nanos % 1_000_000 == 0) {
      return seconds + String.format(".%03dZ", nanos / 1_000_000);
    }
    if (nanos % 1_000 == 0) {
      return seconds + String.format(".%06dZ", nanos / 1_000);
    }
    return seconds + String.format(".%09dZ", nanos);
  }

  /** What v0.63.0's online_read returns for the oracle: one event time for all rows (its _get_event_ts), PRESENT values. */
  private static List<Map.Entry<Instant, Map<String, JsonNode>>> oracleV063(Map<String, List<Object>> keys,
      List<String> features) throws Exception {
    JsonNode answer = oracle(keys, features, false);
    Instant eventTime = Instant.parse(answer.at("/results/1/event_timestamps/0").asText());
    List<Map.Entry<Instant, Map<String, JsonNode>>> rows = new ArrayList<>();
    for (int row = 0; row < keys.values().iterator().next().size(); row++) {
      Map<String, JsonNode> values = new LinkedHashMap<>();
      for (int f = 0; f < features.size(); f++) {
        JsonNode result = answer.get("results").get(1 + f);
        values.put(features.get(f).split(":")[1],
            result.get("statuses").get(row).asText().equals("PRESENT") ? result.get("values").get(row) : null);
      }
      rows.add(Map.entry(eventTime, values));
    }
    return rows;
  }

  // ---- the clients' reading of an answer ----

  /**
   * Feast v0.66.0 remote.py {@code _build_online_response_from_json}, then {@code
   * OnlineResponse.to_dict()}: feature name to values (null for an unset value); statuses mapped
   * by {@code _STATUS_MAP}, anything else INVALID. A name twice would collapse in the dict.
   */
  private static Map<String, List<JsonNode>> readV066(JsonNode answer) {
    Map<String, List<JsonNode>> read = new LinkedHashMap<>();
    JsonNode names = answer.at("/metadata/feature_names");
    for (int i = 0; i < names.size(); i++) {
      JsonNode result = answer.get("results").get(i);
      List<JsonNode> values = new ArrayList<>();
      result.get("values").forEach(value -> values.add(value.isNull() ? null : value));
      result.get("statuses").forEach(status -> assertThat(status.asText())
          .isIn("PRESENT", "NOT_FOUND", "NULL_VALUE", "OUTSIDE_MAX_AGE"));
      assertThat(read.put(names.get(i).asText(), values)).as("feature name %s twice", names.get(i)).isNull();
    }
    return read;
  }

  /** Python 3.9's {@code datetime.fromisoformat}: a fraction of 3 or 6 digits or none, then an offset. */
  private static final Pattern PYTHON_ISO = Pattern.compile(
      "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3}|\\.\\d{6})?\\+00:00");

  /**
   * Feast v0.63.0 remote.py {@code online_read} after a 200: per entity key sent, the event time
   * {@code _get_event_ts} parses ({@code results[1].event_timestamps[0]}, its Z replaced by
   * {@code +00:00}, for every row) and, for each requested feature found in {@code
   * metadata.feature_names}, the value when its status is PRESENT, else an unset value (null).
   */
  private static List<Map.Entry<Instant, Map<String, JsonNode>>> readV063(JsonNode answer, int entityKeys,
      List<String> requestedFeatures) {
    String eventTs = answer.at("/results/1/event_timestamps/0").asText().replace("Z", "+00:00");
    assertThat(eventTs).as("datetime.fromisoformat reads it").matches(PYTHON_ISO);
    Instant eventTime = OffsetDateTime.parse(eventTs).toInstant();
    JsonNode names = answer.at("/metadata/feature_names");
    List<Map.Entry<Instant, Map<String, JsonNode>>> rows = new ArrayList<>();
    for (int row = 0; row < entityKeys; row++) {
      Map<String, JsonNode> values = new LinkedHashMap<>();
      for (int index = 0; index < names.size(); index++) {
        String name = names.get(index).asText();
        if (requestedFeatures.contains(name)) {
          JsonNode result = answer.get("results").get(index);
          values.put(name, result.get("statuses").get(row).asText().equals("PRESENT") ? result.get("values").get(row)
              : null);
        }
      }
      rows.add(Map.entry(eventTime, values));
    }
    return rows;
  }

  // ---- HTTP as Python's requests sends it ----

  private static HttpResponse<String> post(String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/get-online-features"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode answered(String body) throws Exception {
    HttpResponse<String> response = post(body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }
}
