package io.icebergonline.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads the job YAML (see DESIGN "Configuration") into a {@link JobConfig}, validating every key.
 * Also the JSON form of a single feature view that the table properties carry.
 */
public final class JobConfigParser {
  public static final String DEFAULT_CATALOG_NAME = "online_catalog";
  public static final String DEFAULT_NAMESPACE = "feast_online";
  public static final String DEFAULT_GROUP_ID = "iceberg-online-materializer";
  public static final String DEFAULT_TIMESTAMP_FIELD = "event_timestamp";
  public static final int DEFAULT_BUCKETS = 16;
  public static final TimestampUnit DEFAULT_TIMESTAMP_UNIT = TimestampUnit.MILLIS;

  private static final Set<String> ROOT_KEYS = Set.of("online_store", "kafka", "dead_letter_topic", "feature_views", "maintenance", "server",
      "feature_services", "push_sources", "schema_registry");
  private static final Set<String> ONLINE_STORE_KEYS =
      Set.of("type", "catalog_type", "catalog_name", "uri", "warehouse", "namespace", "properties");
  private static final Set<String> KAFKA_KEYS = Set.of("bootstrap_servers", "group_id", "properties");
  private static final Set<String> VIEW_KEYS =
      Set.of("name", "topic", "entities", "features", "timestamp_field", "created_timestamp_column", "ttl", "buckets",
          "timestamp_unit", "delete_retention", "format", "avro_schema", "avro_schema_file", "schema_registry",
          "protobuf_descriptor_file", "protobuf_message");
  private static final Set<String> SCHEMA_REGISTRY_KEYS = Set.of("url", "basic_auth_user_info", "bearer_token");
  private static final Set<String> MAINTENANCE_KEYS =
      Set.of("enabled", "interval", "expire_older_than", "retain_last", "orphan_older_than", "target_file_size");
  private static final Set<String> SERVER_KEYS =
      Set.of("port", "tls_cert", "tls_key", "max_body_size", "max_entities", "request_timeout", "bearer_token_env",
          "index_max_memory", "max_write_body_size", "max_write_rows", "write_timeout");
  private static final Set<String> FIELD_KEYS = Set.of("name", "type");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();

  private JobConfigParser() {}

  /** Reads a config file, substituting {@code ${VAR}} from the process environment. */
  public static JobConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot read the config file: " + e.getMessage());
    }
    return parse(text, System::getenv);
  }

  public static JobConfig parse(String yaml, Function<String, String> environment) {
    JsonNode document;
    try {
      document = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException("<root>", "not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
    }
    ConfigTree root = ConfigTree.root(document, environment).requireMapping(ROOT_KEYS);
    OnlineStoreConfig onlineStore = parseOnlineStore(root.required("online_store"));
    KafkaConfig kafka = parseKafka(root.required("kafka"));
    String deadLetterTopic = root.required("dead_letter_topic").asString();
    ConfigTree viewsTree = root.required("feature_views");
    List<ConfigTree> viewTrees = viewsTree.asList();
    if (viewTrees.isEmpty()) {
      throw viewsTree.error("expected at least one feature view");
    }
    SchemaRegistryConfig registry = root.optional("schema_registry").map(JobConfigParser::parseSchemaRegistry)
        .orElse(null);
    List<FeatureViewSpec> views = new ArrayList<>();
    Map<String, String> viewPaths = new HashMap<>();
    for (ConfigTree viewTree : viewTrees) {
      FeatureViewSpec view = parseFeatureView(viewTree, registry);
      String earlier = viewPaths.putIfAbsent(view.name(), viewTree.path());
      if (earlier != null) {
        throw new ConfigException(viewTree.path() + ".name",
            "duplicate feature view '" + view.name() + "' (already declared at " + earlier + ")");
      }
      views.add(view);
    }
    MaintenanceConfig maintenance =
        root.optional("maintenance").map(JobConfigParser::parseMaintenance).orElse(MaintenanceConfig.DEFAULTS);
    List<FeatureServiceSpec> services =
        root.optional("feature_services").map(tree -> parseFeatureServices(tree, views)).orElse(List.of());
    Map<String, List<String>> pushSources =
        root.optional("push_sources").map(tree -> parsePushSources(tree, views)).orElse(Map.of());
    return new JobConfig(onlineStore, kafka, deadLetterTopic, views, maintenance, services, pushSources);
  }

  /**
   * The {@code push_sources:} block: Feast push source name to the feature view, or list of
   * views, whose stream source it is (a push writes each of them, as Feast's push does).
   */
  private static Map<String, List<String>> parsePushSources(ConfigTree tree, List<FeatureViewSpec> views) {
    List<String> viewNames = views.stream().map(FeatureViewSpec::name).toList();
    Map<String, List<String>> sources = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigTree> source : tree.asMapping().entrySet()) {
      if (source.getKey().isBlank()) {
        throw source.getValue().error("a push source needs a name");
      }
      List<ConfigTree> items = source.getValue().isList() ? source.getValue().asList() : List.of(source.getValue());
      if (items.isEmpty()) {
        throw source.getValue().error("expected a feature view or a list of feature views");
      }
      List<String> targets = new ArrayList<>();
      for (ConfigTree item : items) {
        String viewName = item.asString();
        if (!viewNames.contains(viewName)) {
          throw item.error("unknown feature view '" + viewName + "'; the feature views are " + viewNames);
        }
        if (targets.contains(viewName)) {
          throw item.error("feature view '" + viewName + "' is listed twice");
        }
        targets.add(viewName);
      }
      sources.put(source.getKey(), List.copyOf(targets));
    }
    return sources;
  }

  /**
   * The {@code feature_services:} block: service name to a list of {@code view:feature}
   * references and whole views ({@code view}: all its features), each checked against the views.
   */
  private static List<FeatureServiceSpec> parseFeatureServices(ConfigTree tree, List<FeatureViewSpec> views) {
    Map<String, FeatureViewSpec> byName = new LinkedHashMap<>();
    views.forEach(view -> byName.put(view.name(), view));
    List<FeatureServiceSpec> services = new ArrayList<>();
    for (Map.Entry<String, ConfigTree> service : tree.asMapping().entrySet()) {
      if (service.getKey().isBlank()) {
        throw service.getValue().error("a feature service needs a name");
      }
      List<ConfigTree> items = service.getValue().asList();
      if (items.isEmpty()) {
        throw service.getValue().error("expected at least one 'feature_view' or 'feature_view:feature'");
      }
      List<FeatureServiceSpec.Ref> refs = new ArrayList<>();
      Map<FeatureServiceSpec.Ref, String> listedAt = new HashMap<>();
      for (ConfigTree item : items) {
        String text = item.asString();
        int colon = text.indexOf(':');
        String viewName = colon < 0 ? text : text.substring(0, colon);
        FeatureViewSpec view = byName.get(viewName);
        if (view == null) {
          throw item.error("unknown feature view '" + viewName + "'; the feature views are " + byName.keySet());
        }
        List<FieldSpec> features = view.features();
        if (colon >= 0) {
          String featureName = text.substring(colon + 1);
          features = features.stream().filter(feature -> feature.name().equals(featureName)).toList();
          if (features.isEmpty()) {
            throw item.error("feature view '" + viewName + "' has no feature '" + featureName + "'; its features are "
                + view.features().stream().map(FieldSpec::name).toList());
          }
        }
        for (FieldSpec feature : features) {
          FeatureServiceSpec.Ref ref = new FeatureServiceSpec.Ref(viewName, feature.name());
          String earlier = listedAt.putIfAbsent(ref, item.path());
          if (earlier != null) {
            throw item.error("'" + ref + "' is already in the service (at " + earlier + ")");
          }
          refs.add(ref);
        }
      }
      services.add(new FeatureServiceSpec(service.getKey(), refs));
    }
    return services;
  }

  /** Reads the {@code server:} block of a config file (defaults when it has none), for the feature server. */
  public static FeatureServerConfig loadFeatureServer(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot read the config file: " + e.getMessage());
    }
    return parseFeatureServer(text, System::getenv);
  }

  /**
   * The {@code server:} block. The bearer token is read from the environment variable that {@code
   * bearer_token_env} names; errors name the variable, never its value.
   */
  public static FeatureServerConfig parseFeatureServer(String yaml, Function<String, String> environment) {
    JsonNode document;
    try {
      document = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException("<root>", "not valid YAML: " + e.getOriginalMessage());
    }
    ConfigTree root = ConfigTree.root(document, environment).requireMapping(ROOT_KEYS);
    ConfigTree tree = root.optional("server").orElse(null);
    if (tree == null) {
      return FeatureServerConfig.DEFAULTS;
    }
    tree.requireMapping(SERVER_KEYS);
    FeatureServerConfig defaults = FeatureServerConfig.DEFAULTS;
    int port = defaults.port();
    if (tree.optional("port").isPresent()) {
      ConfigTree portTree = tree.required("port");
      port = portTree.asInt();
      if (port < 0 || port > 65_535) {
        throw portTree.error("expected a port number from 0 to 65535, got " + port);
      }
    }
    Path cert = tree.optional("tls_cert").map(ConfigTree::asString).map(Path::of).orElse(null);
    Path key = tree.optional("tls_key").map(ConfigTree::asString).map(Path::of).orElse(null);
    if ((cert == null) != (key == null)) {
      throw new ConfigException(tree.path() + (cert == null ? ".tls_cert" : ".tls_key"),
          "TLS needs both tls_cert and tls_key (PEM files)");
    }
    String token = null;
    if (tree.optional("bearer_token_env").isPresent()) {
      ConfigTree tokenTree = tree.required("bearer_token_env");
      String variable = tokenTree.asString();
      token = environment.apply(variable);
      if (token == null || token.isEmpty()) {
        throw tokenTree.error("environment variable " + variable + " is not set (it holds the bearer token)");
      }
    }
    return new FeatureServerConfig(port, cert, key,
        bodyLimit(tree.optional("max_body_size").orElse(null), defaults.maxBodyBytes()),
        positiveInt(tree.optional("max_entities").orElse(null), defaults.maxEntities(), "entities per request"),
        duration(tree.optional("request_timeout").orElse(null), defaults.requestTimeout(), false),
        token,
        tree.optional("index_max_memory").map(ConfigTree::asByteSize).orElse(defaults.indexMaxBytes()),
        new FeatureServerConfig.Writes(
            bodyLimit(tree.optional("max_write_body_size").orElse(null), defaults.writes().maxBodyBytes()),
            positiveInt(tree.optional("max_write_rows").orElse(null), defaults.writes().maxRows(), "rows per write"),
            duration(tree.optional("write_timeout").orElse(null), defaults.writes().timeout(), false)));
  }

  /** A request body limit: held in one array, so below 2 GiB. */
  private static long bodyLimit(ConfigTree tree, long defaultBytes) {
    if (tree == null) {
      return defaultBytes;
    }
    long bytes = tree.asByteSize();
    if (bytes < 1 || bytes > Integer.MAX_VALUE - 8) {
      throw tree.error("expected a size from 1 byte to 2047m, got " + bytes + " bytes");
    }
    return bytes;
  }

  private static int positiveInt(ConfigTree tree, int defaultValue, String what) {
    if (tree == null) {
      return defaultValue;
    }
    int value = tree.asInt();
    if (value < 1) {
      throw tree.error("expected at least 1 (" + what + "), got " + value);
    }
    return value;
  }

  /** Parses the JSON form written by {@link #featureViewToJson} (no environment substitution). */
  public static FeatureViewSpec featureViewFromJson(String json) {
    try {
      return parseFeatureView(ConfigTree.root(JSON.readTree(json), name -> null), null);
    } catch (JsonProcessingException e) {
      throw new ConfigException("<feature view>", "not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** The feature view in the same keys as the YAML, as compact JSON. */
  public static String featureViewToJson(FeatureViewSpec view) {
    ObjectNode node = JSON.createObjectNode();
    node.put("name", view.name());
    node.put("topic", view.topic());
    node.set("entities", fieldsToJson(view.entities()));
    node.set("features", fieldsToJson(view.features()));
    node.put("timestamp_field", view.timestampField());
    view.createdTimestamp().ifPresent(column -> node.put("created_timestamp_column", column));
    view.timeToLive().ifPresent(ttl -> node.put("ttl", ttl.toMillis() + "ms"));
    node.put("buckets", view.buckets());
    // the default is left out, so the property of tables created before the key existed stays as it was
    if (view.timestampUnit() != DEFAULT_TIMESTAMP_UNIT) {
      node.put("timestamp_unit", view.timestampUnit().configName());
    }
    if (view.deleteRetention() != null) {
      node.put("delete_retention", view.deleteRetention().toMillis() + "ms");
    }
    return node.toString();
  }

  private static ArrayNode fieldsToJson(List<FieldSpec> fields) {
    ArrayNode array = JSON.createArrayNode();
    for (FieldSpec field : fields) {
      array.addObject().put("name", field.name()).put("type", field.type().name());
    }
    return array;
  }

  private static OnlineStoreConfig parseOnlineStore(ConfigTree tree) {
    tree.requireMapping(ONLINE_STORE_KEYS);
    ConfigTree typeTree = tree.required("type");
    if (!typeTree.asString().equals("iceberg")) {
      throw typeTree.error("expected 'iceberg', got '" + typeTree.asString() + "'");
    }
    ConfigTree catalogTypeTree = tree.required("catalog_type");
    CatalogType catalogType = parseCatalogType(catalogTypeTree);
    String uri = tree.optional("uri").map(ConfigTree::asString).orElse(null);
    String warehouse = tree.optional("warehouse").map(ConfigTree::asString).orElse(null);
    if (catalogType.requiresUri() && uri == null) {
      throw new ConfigException(tree.path() + ".uri",
          "required for catalog_type " + catalogType.configName() + " (the catalog's address)");
    }
    if (catalogType.requiresWarehouse() && warehouse == null) {
      throw new ConfigException(tree.path() + ".warehouse",
          "required for catalog_type " + catalogType.configName() + " (where table data lives)");
    }
    String catalogName = tree.optional("catalog_name").map(ConfigTree::asString).orElse(DEFAULT_CATALOG_NAME);
    String namespace = tree.optional("namespace").map(ConfigTree::asString).orElse(DEFAULT_NAMESPACE);
    Map<String, String> properties = tree.optional("properties").map(ConfigTree::asStringMap).orElse(Map.of());
    return new OnlineStoreConfig(catalogType, catalogName, uri, warehouse, namespace, properties);
  }

  private static CatalogType parseCatalogType(ConfigTree tree) {
    String text = tree.asString();
    for (CatalogType type : CatalogType.values()) {
      if (type.configName().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return type;
      }
    }
    List<String> names = new ArrayList<>();
    for (CatalogType type : CatalogType.values()) {
      names.add(type.configName());
    }
    throw tree.error("unknown catalog type '" + text + "'; expected one of " + names);
  }

  private static KafkaConfig parseKafka(ConfigTree tree) {
    tree.requireMapping(KAFKA_KEYS);
    return new KafkaConfig(
        tree.required("bootstrap_servers").asString(),
        tree.optional("group_id").map(ConfigTree::asString).orElse(DEFAULT_GROUP_ID),
        tree.optional("properties").map(ConfigTree::asStringMap).orElse(Map.of()));
  }

  private static MaintenanceConfig parseMaintenance(ConfigTree tree) {
    tree.requireMapping(MAINTENANCE_KEYS);
    MaintenanceConfig defaults = MaintenanceConfig.DEFAULTS;
    int retainLast = tree.optional("retain_last").map(ConfigTree::asInt).orElse(defaults.retainLast());
    if (retainLast < 1) {
      throw new ConfigException(tree.path() + ".retain_last", "expected at least 1 snapshot to retain, got " + retainLast);
    }
    return new MaintenanceConfig(
        tree.optional("enabled").map(ConfigTree::asBoolean).orElse(true),
        duration(tree.optional("interval").orElse(null), defaults.interval(), false),
        duration(tree.optional("expire_older_than").orElse(null), defaults.expireOlderThan(), true),
        retainLast,
        duration(tree.optional("orphan_older_than").orElse(null), defaults.orphanOlderThan(), false),
        tree.optional("target_file_size").map(ConfigTree::asByteSize).orElse(defaults.targetFileSizeBytes()));
  }

  private static Duration duration(ConfigTree tree, Duration fallback, boolean zeroAllowed) {
    if (tree == null) {
      return fallback;
    }
    Duration duration = tree.asDuration();
    if (duration.isNegative()) {
      throw tree.error("expected a duration >= 0, got " + duration);
    }
    if (duration.isZero() && !zeroAllowed) {
      throw tree.error("must be greater than 0, got " + tree.asString());
    }
    return duration;
  }

  /** @param registry the top-level {@code schema_registry}, or null */
  private static FeatureViewSpec parseFeatureView(ConfigTree tree, SchemaRegistryConfig registry) {
    tree.requireMapping(VIEW_KEYS);
    String name = identifier(tree.required("name"));
    if (name.endsWith(DeleteLog.TABLE_SUFFIX)) {
      throw tree.required("name").error("must not end with '" + DeleteLog.TABLE_SUFFIX
          + "' (the suffix of every view's delete log table), got '" + name + "'");
    }
    String topic = tree.required("topic").asString();
    Map<String, String> declaredAt = new HashMap<>();
    declaredAt.put(OnlineTableLayout.DERIVED_KEY_COLUMN, "<reserved for the derived key column>");

    List<FieldSpec> entities = parseFields(tree.required("entities"), declaredAt, true);
    List<FieldSpec> features = parseFields(tree.required("features"), declaredAt, false);
    ConfigTree timestampTree = tree.optional("timestamp_field").orElse(null);
    String timestampField = timestampTree == null ? DEFAULT_TIMESTAMP_FIELD : identifier(timestampTree);
    claim(declaredAt, timestampField, timestampTree == null ? tree.path() + ".timestamp_field" : timestampTree.path());
    String created = null;
    if (tree.optional("created_timestamp_column").isPresent()) {
      ConfigTree createdTree = tree.required("created_timestamp_column");
      created = identifier(createdTree);
      claim(declaredAt, created, createdTree.path());
    }
    Duration ttl = null;
    if (tree.optional("ttl").isPresent()) {
      ConfigTree ttlTree = tree.required("ttl");
      ttl = ttlTree.asDuration();
      if (ttl.isNegative()) {
        throw ttlTree.error("expected a duration >= 0, got " + ttl);
      }
      if (ttl.isZero()) {
        ttl = null; // Feast's convention: a zero TTL means features never expire
      }
    }
    int buckets = DEFAULT_BUCKETS;
    if (tree.optional("buckets").isPresent()) {
      ConfigTree bucketsTree = tree.required("buckets");
      buckets = bucketsTree.asInt();
      if (buckets < 1) {
        throw bucketsTree.error("expected at least 1 bucket, got " + buckets);
      }
    }
    TimestampUnit timestampUnit =
        tree.optional("timestamp_unit").map(JobConfigParser::parseTimestampUnit).orElse(DEFAULT_TIMESTAMP_UNIT);
    Duration deleteRetention = null;
    if (tree.optional("delete_retention").isPresent()) {
      ConfigTree retentionTree = tree.required("delete_retention");
      deleteRetention = retentionTree.asDuration();
      if (deleteRetention.isNegative() || deleteRetention.isZero()) {
        throw retentionTree.error("expected a duration > 0 (how long delete versions are kept), got "
            + retentionTree.asString());
      }
    }
    FeatureViewSpec view = new FeatureViewSpec(name, topic, entities, features, timestampField, created, ttl, buckets,
        timestampUnit, deleteRetention, EventFormat.JSON);
    EventFormat format = parseFormat(tree, view, registry);
    return new FeatureViewSpec(name, topic, entities, features, timestampField, created, ttl, buckets, timestampUnit,
        deleteRetention, format);
  }

  /**
   * The view's {@code format} (json, the default, avro or protobuf) and what it needs: a schema or
   * message type given in the config ({@code avro_schema} or {@code avro_schema_file}; {@code
   * protobuf_descriptor_file} and {@code protobuf_message}), checked now to hold the view's join
   * keys and event time, or else a {@code schema_registry} (the view's, else the top-level one)
   * for records framed with a schema id.
   */
  private static EventFormat parseFormat(ConfigTree tree, FeatureViewSpec view, SchemaRegistryConfig defaultRegistry) {
    ConfigTree formatTree = tree.optional("format").orElse(null);
    String format = formatTree == null ? "json" : formatTree.asString().trim().toLowerCase(Locale.ROOT);
    ConfigTree inline = tree.optional("avro_schema").orElse(null);
    ConfigTree file = tree.optional("avro_schema_file").orElse(null);
    SchemaRegistryConfig registry = tree.optional("schema_registry").map(JobConfigParser::parseSchemaRegistry)
        .orElse(defaultRegistry);
    switch (format) {
      case "json" -> {
        for (ConfigTree avroKey : new ConfigTree[] {inline, file, tree.optional("schema_registry").orElse(null),
            tree.optional("protobuf_descriptor_file").orElse(null), tree.optional("protobuf_message").orElse(null)}) {
          if (avroKey != null) {
            throw avroKey.error("applies to format: avro or protobuf only; this view's format is json");
          }
        }
        return EventFormat.JSON;
      }
      case "avro" -> {
        if (inline != null && file != null) {
          throw file.error("give the Avro schema once: avro_schema or avro_schema_file, not both");
        }
        ConfigTree schemaTree = inline != null ? inline : file;
        if (schemaTree == null) {
          if (registry == null) {
            throw formatTree.error("avro needs the writer schema: a schema_registry (records framed with a schema "
                + "id), or avro_schema / avro_schema_file (plain Avro records of that schema)");
          }
          return EventFormat.avroFramed(registry);
        }
        String text = schemaTree == inline ? inline.asString() : readSchemaFile(file);
        checkAvroSchema(schemaTree, text, view);
        return EventFormat.avroPlain(text);
      }
      case "protobuf" -> {
        ConfigTree descriptorFile = tree.optional("protobuf_descriptor_file").orElse(null);
        if (descriptorFile == null) {
          if (registry == null) {
            throw formatTree.error("protobuf needs the message type: protobuf_descriptor_file and protobuf_message "
                + "(plain messages of that type), or a schema_registry (messages framed with a schema id)");
          }
          return EventFormat.protobufFramed(registry, tree.optional("protobuf_message").map(ConfigTree::asString)
              .orElse(null));
        }
        ConfigTree message = tree.required("protobuf_message");
        String descriptors;
        try {
          descriptors = Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(descriptorFile.asString())));
        } catch (IOException | RuntimeException e) {
          throw descriptorFile.error("cannot read the descriptor set file: " + e.getMessage());
        }
        com.google.protobuf.Descriptors.Descriptor type;
        try {
          type = ProtobufDescriptors.message(descriptors, message.asString());
        } catch (IllegalArgumentException e) {
          throw message.error(e.getMessage());
        }
        List<String> needed = new ArrayList<>();
        view.entities().forEach(entity -> needed.add(entity.name()));
        needed.add(view.timestampField());
        for (String field : needed) {
          if (type.findFieldByName(field) == null) {
            throw message.error("message " + type.getFullName() + " has no field '" + field
                + "' (a join key or the event time of view '" + view.name() + "')");
          }
        }
        return EventFormat.protobuf(descriptors, message.asString());
      }
      default -> throw formatTree.error("unknown format '" + formatTree.asString() + "'; expected json, avro or protobuf");
    }
  }

  private static String readSchemaFile(ConfigTree file) {
    try {
      return Files.readString(Path.of(file.asString()));
    } catch (IOException | RuntimeException e) {
      throw file.error("cannot read the Avro schema file: " + e.getMessage());
    }
  }

  /** An Avro record schema with the view's join keys and event time among its fields. */
  private static void checkAvroSchema(ConfigTree tree, String text, FeatureViewSpec view) {
    org.apache.avro.Schema schema;
    try {
      schema = new org.apache.avro.Schema.Parser().parse(text);
    } catch (RuntimeException e) {
      throw tree.error("not a valid Avro schema: " + e.getMessage());
    }
    if (schema.getType() != org.apache.avro.Schema.Type.RECORD) {
      throw tree.error("expected an Avro record schema, got " + schema.getType().getName());
    }
    List<String> needed = new ArrayList<>();
    view.entities().forEach(entity -> needed.add(entity.name()));
    needed.add(view.timestampField());
    for (String field : needed) {
      if (schema.getField(field) == null) {
        throw tree.error("the Avro schema has no field '" + field + "' (a join key or the event time of view '"
            + view.name() + "')");
      }
    }
  }

  /** A {@code schema_registry} block: the registry's URL and optional credentials. */
  private static SchemaRegistryConfig parseSchemaRegistry(ConfigTree tree) {
    tree.requireMapping(SCHEMA_REGISTRY_KEYS);
    ConfigTree urlTree = tree.required("url");
    String url = urlTree.asString().trim();
    try {
      URI uri = URI.create(url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw urlTree.error("expected an http:// or https:// URL, got '" + url + "'");
      }
    } catch (IllegalArgumentException e) {
      throw urlTree.error("expected an http:// or https:// URL, got '" + url + "'");
    }
    String userInfo = tree.optional("basic_auth_user_info").map(ConfigTree::asString).orElse(null);
    if (userInfo != null && !userInfo.contains(":")) {
      throw tree.required("basic_auth_user_info").error("expected user:password (its value is not shown)");
    }
    String token = tree.optional("bearer_token").map(ConfigTree::asString).orElse(null);
    if (userInfo != null && token != null) {
      throw tree.required("bearer_token").error("give basic_auth_user_info or bearer_token, not both");
    }
    return new SchemaRegistryConfig(url.endsWith("/") ? url.substring(0, url.length() - 1) : url, userInfo, token);
  }

  private static TimestampUnit parseTimestampUnit(ConfigTree tree) {
    String text = tree.asString();
    for (TimestampUnit unit : TimestampUnit.values()) {
      if (unit.configName().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return unit;
      }
    }
    throw tree.error("unknown timestamp unit '" + text + "'; expected one of "
        + Arrays.stream(TimestampUnit.values()).map(TimestampUnit::configName).toList());
  }

  private static List<FieldSpec> parseFields(ConfigTree listTree, Map<String, String> declaredAt, boolean entities) {
    List<ConfigTree> items = listTree.asList();
    if (items.isEmpty()) {
      throw listTree.error(entities ? "expected at least one entity (the join key)" : "expected at least one feature");
    }
    List<FieldSpec> fields = new ArrayList<>();
    for (ConfigTree item : items) {
      item.requireMapping(FIELD_KEYS);
      ConfigTree nameTree = item.required("name");
      String name = identifier(nameTree);
      claim(declaredAt, name, nameTree.path());
      ConfigTree typeTree = item.required("type");
      FeastValueType type = FeastValueType.parse(typeTree);
      if (entities && !FeastValueType.ENTITY_TYPES.contains(type)) {
        throw typeTree.error(type + " cannot be an entity (join key) type; expected one of " + FeastValueType.ENTITY_TYPES);
      }
      fields.add(new FieldSpec(name, type));
    }
    return fields;
  }

  private static void claim(Map<String, String> declaredAt, String column, String path) {
    String earlier = declaredAt.putIfAbsent(column, path);
    if (earlier != null) {
      throw new ConfigException(path, "duplicate column '" + column + "' (already declared at " + earlier + ")");
    }
  }

  private static String identifier(ConfigTree tree) {
    String text = tree.asString();
    if (!IDENTIFIER.matcher(text).matches()) {
      throw tree.error("expected a name of letters, digits and underscores not starting with a digit, got '" + text + "'");
    }
    return text;
  }
}
