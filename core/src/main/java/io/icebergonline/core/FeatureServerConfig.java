package io.icebergonline.core;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code server:} block of the config, read by the Feast feature server only (the job ignores
 * it): where it listens, TLS from PEM files, request limits and the optional bearer token, whose
 * value comes from the environment variable {@code bearer_token_env} names and never appears in
 * {@link #toString()}.
 *
 * @param tlsCertificate PEM certificate chain, null for plain HTTP
 * @param tlsPrivateKey PEM private key (PKCS#8, or PKCS#1 RSA), null for plain HTTP
 * @param bearerToken null when requests need no token
 * @param indexMaxBytes the live index's memory budget per feature view; buckets beyond it are served by point reads
 * @param writes the limits of {@code /write-to-online-store}, which takes whole tables
 */
public record FeatureServerConfig(
    int port,
    Path tlsCertificate,
    Path tlsPrivateKey,
    long maxBodyBytes,
    int maxEntities,
    Duration requestTimeout,
    String bearerToken,
    long indexMaxBytes,
    Writes writes) {

  /**
   * The limits of {@code POST /write-to-online-store}: {@code feast materialize} sends a feature
   * view's whole table in one request unless Feast's {@code online_write_batch_size} is set, so its
   * limits are far above the per-request ones of reads and pushes (keys {@code max_write_body_size},
   * {@code max_write_rows}, {@code write_timeout}).
   */
  public record Writes(long maxBodyBytes, int maxRows, Duration timeout) {
    public static final Writes DEFAULTS = new Writes(256L * 1024 * 1024, 1_000_000, Duration.ofMinutes(5));
  }

  /** Feast's default feature server port. */
  public static final int DEFAULT_PORT = 6566;
  public static final long DEFAULT_MAX_BODY_BYTES = 1024L * 1024;
  public static final int DEFAULT_MAX_ENTITIES = 1000;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
  public static final long DEFAULT_INDEX_MAX_BYTES = 512L * 1024 * 1024;

  public static final FeatureServerConfig DEFAULTS = new FeatureServerConfig(DEFAULT_PORT, null, null,
      DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ENTITIES, DEFAULT_REQUEST_TIMEOUT, null, DEFAULT_INDEX_MAX_BYTES, Writes.DEFAULTS);

  public boolean tls() {
    return tlsCertificate != null;
  }

  /** This config listening on another port (tests bind port 0). */
  public FeatureServerConfig withPort(int newPort) {
    return new FeatureServerConfig(newPort, tlsCertificate, tlsPrivateKey, maxBodyBytes, maxEntities, requestTimeout,
        bearerToken, indexMaxBytes, writes);
  }

  @Override
  public String toString() {
    return "FeatureServerConfig[port=" + port + ", tlsCertificate=" + tlsCertificate + ", tlsPrivateKey="
        + tlsPrivateKey + ", maxBodyBytes=" + maxBodyBytes + ", maxEntities=" + maxEntities + ", requestTimeout="
        + requestTimeout + ", bearerToken=" + (bearerToken == null ? "none" : "******") + ", indexMaxBytes="
        + indexMaxBytes + ", writes=" + writes + "]";
  }
}
