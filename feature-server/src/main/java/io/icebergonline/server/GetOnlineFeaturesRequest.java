package io.icebergonline.server;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /get-online-features}, read as Feast's pydantic model reads it
 * ({@code GetOnlineFeaturesRequest} in {@code feast/feature_server.py}, v0.63 to v0.66: {@code
 * entities: Dict[str, List[Any]]}, {@code feature_service: Optional[str]}, {@code features:
 * List[str] = []}, {@code full_feature_names: bool = False}, {@code
 * include_feature_view_version_metadata: bool = False}), plus the {@code request_context} of
 * Feast's Go server: fields it does not know are ignored, as pydantic ignores them; a known field
 * of the wrong shape is FastAPI's 422 naming it. Entity values stay JSON: what they mean depends on
 * the join key's type, known once the features are resolved.
 *
 * @param entities join key (or any other column, ignored) to one value per entity row
 * @param featureService when set and not empty, the features are the service's and {@code features} is ignored
 * @param includeFeatureViewVersionMetadata read and ignored: the views have no versions, and
 *     Feast's server writes no version metadata into its JSON answer either
 * @param requestContext request data for on-demand feature views (Feast's Go server); this
 *     server has none, so it is read and ignored
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record GetOnlineFeaturesRequest(
    @JsonProperty("entities") Map<String, List<JsonNode>> entities,
    @JsonProperty("feature_service") String featureService,
    @JsonProperty("features") @JsonSetter(contentNulls = Nulls.FAIL) List<String> features,
    @JsonProperty("full_feature_names") @JsonDeserialize(using = LaxBoolean.class) Boolean fullFeatureNames,
    @JsonProperty("include_feature_view_version_metadata") @JsonDeserialize(using = LaxBoolean.class)
    Boolean includeFeatureViewVersionMetadata,
    @JsonProperty("request_context") Map<String, List<JsonNode>> requestContext) {

  private static final ObjectMapper MAPPER = JsonMapper.builder().build();

  static {
    // pydantic's str takes no number or boolean
    for (CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float,
        CoercionInputShape.Boolean)) {
      MAPPER.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
  }

  GetOnlineFeaturesRequest {
    features = features == null ? List.of() : features;
    fullFeatureNames = fullFeatureNames != null && fullFeatureNames;
    includeFeatureViewVersionMetadata = includeFeatureViewVersionMetadata != null && includeFeatureViewVersionMetadata;
    requestContext = requestContext == null ? Map.of() : requestContext;
  }

  /** The request in {@code body}; a {@link RequestException#validation} 422 when it does not fit the model. */
  static GetOnlineFeaturesRequest parse(byte[] body) {
    if (body.length == 0) {
      throw RequestException.validation(List.of(), "missing", "Field required");
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(body);
    } catch (IOException e) {
      throw RequestException.validation(List.of(), "json_invalid", "JSON decode error: "
          + (e instanceof StreamReadException json ? json.getOriginalMessage() : e.getMessage()));
    }
    if (tree == null || !tree.isObject()) {
      throw mismatch(List.of());
    }
    // explicit nulls pydantic refuses (Jackson would read them as absent)
    for (String field : List.of("entities", "features")) {
      if (tree.path(field).isNull()) {
        throw mismatch(List.of(field));
      }
    }
    for (String field : List.of("entities", "request_context")) {
      for (Iterator<Map.Entry<String, JsonNode>> columns = tree.path(field).fields(); columns.hasNext(); ) {
        Map.Entry<String, JsonNode> column = columns.next();
        if (column.getValue().isNull()) {
          throw mismatch(List.of(field, column.getKey()));
        }
      }
    }
    GetOnlineFeaturesRequest request;
    try {
      request = MAPPER.treeToValue(tree, GetOnlineFeaturesRequest.class);
    } catch (JsonMappingException e) {
      List<Object> loc = new ArrayList<>();
      for (JsonMappingException.Reference step : e.getPath()) {
        loc.add(step.getFieldName() != null ? step.getFieldName() : (Object) step.getIndex());
      }
      throw mismatch(loc);
    } catch (IOException e) {
      throw RequestException.validation(List.of(), "json_invalid", "JSON decode error: " + e.getMessage());
    }
    if (request == null) {
      throw mismatch(List.of());
    }
    if (request.entities() == null) {
      throw RequestException.validation(List.of("entities"), "missing", "Field required");
    }
    return request;
  }

  /** Pydantic's error for the field at {@code loc}, by what the model expects there. */
  private static RequestException mismatch(List<Object> loc) {
    if (loc.isEmpty()) {
      return RequestException.validation(loc, "model_attributes_type",
          "Input should be a valid dictionary or object to extract fields from");
    }
    String field = loc.get(0).toString();
    int depth = loc.size();
    return switch (field) {
      case "entities", "request_context" -> depth == 1
          ? RequestException.validation(loc, "dict_type", "Input should be a valid dictionary")
          : RequestException.validation(loc.subList(0, 2), "list_type", "Input should be a valid list");
      case "features" -> depth == 1
          ? RequestException.validation(loc, "list_type", "Input should be a valid list")
          : RequestException.validation(loc, "string_type", "Input should be a valid string");
      case "feature_service" -> RequestException.validation(loc, "string_type", "Input should be a valid string");
      default -> RequestException.validation(loc.subList(0, 1), "bool_parsing",
          "Input should be a valid boolean, unable to interpret input");
    };
  }

  /**
   * Pydantic's lax {@code bool}: JSON booleans, 0 and 1 (also as 0.0 and 1.0), and the strings
   * {@code 0 off f false n no 1 on t true y yes} in any case. Absent is the field's default,
   * null is refused as pydantic refuses it.
   */
  static final class LaxBoolean extends StdDeserializer<Boolean> {
    private static final Set<String> TRUE = Set.of("1", "on", "t", "true", "y", "yes");
    private static final Set<String> FALSE = Set.of("0", "off", "f", "false", "n", "no");

    LaxBoolean() {
      super(Boolean.class);
    }

    @Override
    public Boolean deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      JsonToken token = parser.currentToken();
      if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
        return token == JsonToken.VALUE_TRUE;
      }
      if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
        double value = parser.getDoubleValue();
        if (value == 0 || value == 1) {
          return value == 1;
        }
      } else if (token == JsonToken.VALUE_STRING) {
        String text = parser.getText().toLowerCase(Locale.ROOT);
        if (TRUE.contains(text) || FALSE.contains(text)) {
          return TRUE.contains(text);
        }
      } else if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
        parser.skipChildren();
      }
      return (Boolean) context.handleUnexpectedToken(Boolean.class, parser);
    }

    @Override
    public Boolean getNullValue(DeserializationContext context) throws JsonMappingException {
      throw InvalidNullException.from(context, null, context.constructType(Boolean.class));
    }

    @Override
    public Object getAbsentValue(DeserializationContext context) {
      return null;
    }
  }
}
