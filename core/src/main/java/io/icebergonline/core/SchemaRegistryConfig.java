package io.icebergonline.core;

import java.io.Serializable;

/**
 * A schema registry that speaks the Confluent REST API (Confluent Schema Registry, Apicurio's
 * compatible API, Karapace, Redpanda): where writer schemas of framed records are fetched by id.
 * Credentials come from the config's {@code ${VAR}} substitution and never appear in {@link
 * #toString()}.
 *
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param bearerToken a bearer token, or null
 */
public record SchemaRegistryConfig(String url, String basicAuthUserInfo, String bearerToken) implements Serializable {
  @Override
  public String toString() {
    return "SchemaRegistryConfig[url=" + url + ", basicAuthUserInfo=" + (basicAuthUserInfo == null ? "none" : "******")
        + ", bearerToken=" + (bearerToken == null ? "none" : "******") + "]";
  }
}
