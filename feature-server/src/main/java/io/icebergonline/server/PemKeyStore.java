package io.icebergonline.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * A key store from PEM files, what Feast's remote store {@code cert} option and Kubernetes TLS
 * secrets hold: a certificate chain and an unencrypted PKCS#8 private key (RSA or EC). The JDK
 * reads PEM certificates but not PEM keys; the key's base64 body is PKCS#8 DER.
 */
final class PemKeyStore {
  static final String ALIAS = "server";
  /** The in-memory key store's password, random per process: the key never leaves it. */
  static final String PASSWORD = UUID.randomUUID().toString();

  private PemKeyStore() {}

  static KeyStore load(Path certificateFile, Path keyFile) {
    try {
      List<? extends Certificate> chain;
      try (InputStream in = Files.newInputStream(certificateFile)) {
        chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
      }
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("server.tls_cert: " + certificateFile + " holds no PEM certificate");
      }
      PrivateKey key = privateKey(keyFile);
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(ALIAS, key, PASSWORD.toCharArray(), chain.toArray(Certificate[]::new));
      return store;
    } catch (IOException e) {
      throw new IllegalArgumentException("server.tls_cert/tls_key: cannot read " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("server.tls_cert: " + certificateFile + " is not a PEM certificate chain: "
          + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(Path keyFile) throws IOException, GeneralSecurityException {
    String pem = Files.readString(keyFile);
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("server.tls_key: " + keyFile + " is not an unencrypted PKCS#8 PEM key ('"
          + begin + "'); convert one with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out pkcs8.pem");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("server.tls_key: " + keyFile + " is neither an RSA, EC nor Ed25519 key");
  }
}
