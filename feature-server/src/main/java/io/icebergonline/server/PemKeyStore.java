package io.icebergonline.server;

import java.io.ByteArrayOutputStream;
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
 * secrets hold: a certificate chain and an unencrypted private key, PKCS#8 (RSA, EC or Ed25519)
 * or PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}, what cert-manager writes by default). The JDK
 * reads PEM certificates but not PEM keys; the key's base64 body is PKCS#8 DER, or PKCS#1 DER that
 * is wrapped into PKCS#8 here.
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
    byte[] der = pemBody(pem, "PRIVATE KEY");
    if (der == null) {
      byte[] pkcs1 = pemBody(pem, "RSA PRIVATE KEY");
      if (pkcs1 == null) {
        throw new IllegalArgumentException("server.tls_key: " + keyFile + " is not an unencrypted PKCS#8 ('BEGIN "
            + "PRIVATE KEY') or PKCS#1 RSA ('BEGIN RSA PRIVATE KEY') PEM key; convert one with: openssl pkcs8 -topk8 "
            + "-nocrypt -in key.pem -out pkcs8.pem");
      }
      der = pkcs8OfRsa(pkcs1);
    }
    for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("server.tls_key: " + keyFile + " is neither an RSA, EC nor Ed25519 key");
  }

  /** The DER of the PEM block of {@code type}, null when there is none. */
  private static byte[] pemBody(String pem, String type) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    return from < 0 || to < from ? null : Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
  }

  /**
   * PKCS#8's {@code PrivateKeyInfo} around a PKCS#1 {@code RSAPrivateKey}: SEQUENCE { INTEGER 0,
   * SEQUENCE { OID rsaEncryption, NULL }, OCTET STRING pkcs1 } (RFC 5208, RFC 8017 A.1).
   */
  static byte[] pkcs8OfRsa(byte[] pkcs1) {
    byte[] versionAndAlgorithm = {0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    content.writeBytes(versionAndAlgorithm);
    content.writeBytes(der(0x04, pkcs1));
    return der(0x30, content.toByteArray());
  }

  /** A DER element: tag, definite length (short or long form), content. */
  private static byte[] der(int tag, byte[] content) {
    ByteArrayOutputStream element = new ByteArrayOutputStream();
    element.write(tag);
    int length = content.length;
    if (length < 0x80) {
      element.write(length);
    } else {
      int bytes = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
      element.write(0x80 | bytes);
      for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
        element.write(length >>> shift);
      }
    }
    element.writeBytes(content);
    return element.toByteArray();
  }
}
