package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS keys as Kubernetes secrets hold them: PKCS#8, and PKCS#1 RSA, what cert-manager writes
 * unless told otherwise ({@code privateKey.encoding: PKCS1}). The keys come from the JDK's keytool.
 */
class PemKeyStoreTest {
  @TempDir
  static Path dir;

  private static Certificate certificate;
  private static Key key;

  @BeforeAll
  static void generateAKeyPair() throws Exception {
    Path keyStore = dir.resolve("generated.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", "changeit",
        "-keypass", "changeit").redirectErrorStream(true).start();
    assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    KeyStore generated = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      generated.load(in, "changeit".toCharArray());
    }
    certificate = generated.getCertificate("server");
    key = generated.getKey("server", "changeit".toCharArray());
  }

  @Test
  void aPkcs1RsaKeyLoadsAsTheSameKeyAsItsPkcs8Form() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), pem("CERTIFICATE", certificate.getEncoded()));
    Path pkcs1 = Files.writeString(dir.resolve("pkcs1.key"), pem("RSA PRIVATE KEY", rsaPrivateKeyOf(key.getEncoded())));
    Path pkcs8 = Files.writeString(dir.resolve("pkcs8.key"), pem("PRIVATE KEY", key.getEncoded()));

    for (Path keyFile : new Path[] {pkcs1, pkcs8}) {
      KeyStore store = PemKeyStore.load(cert, keyFile);
      Key loaded = store.getKey(PemKeyStore.ALIAS, PemKeyStore.PASSWORD.toCharArray());
      assertThat(loaded.getAlgorithm()).isEqualTo("RSA");
      assertThat(loaded.getEncoded()).as(keyFile.toString()).isEqualTo(key.getEncoded());
      assertThat(store.getCertificate(PemKeyStore.ALIAS)).isEqualTo(certificate);
    }
  }

  @Test
  void aKeyInNeitherFormIsRefusedNamingTheSetting() throws Exception {
    Path cert = Files.writeString(dir.resolve("other.crt"), pem("CERTIFICATE", certificate.getEncoded()));
    Path encrypted = Files.writeString(dir.resolve("encrypted.key"), pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2}));

    assertThatThrownBy(() -> PemKeyStore.load(cert, encrypted)).hasMessageStartingWith("server.tls_key: ")
        .hasMessageContaining("PKCS#1 RSA");
  }

  /**
   * The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo, read with a DER reader of its own:
   * SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING privateKey }.
   */
  private static byte[] rsaPrivateKeyOf(byte[] pkcs8) {
    int[] at = {0};
    assertThat(pkcs8[at[0]]).isEqualTo((byte) 0x30);
    header(pkcs8, at);
    skipElement(pkcs8, at); // version
    skipElement(pkcs8, at); // algorithm
    assertThat(pkcs8[at[0]]).isEqualTo((byte) 0x04);
    int length = header(pkcs8, at);
    return Arrays.copyOfRange(pkcs8, at[0], at[0] + length);
  }

  /** Reads a tag and length at at[0], leaves at[0] at the content, returns the content's length. */
  private static int header(byte[] der, int[] at) {
    at[0]++;
    int first = der[at[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int length = 0;
    for (int i = 0; i < (first & 0x7f); i++) {
      length = (length << 8) | (der[at[0]++] & 0xff);
    }
    return length;
  }

  private static void skipElement(byte[] der, int[] at) {
    int length = header(der, at);
    at[0] += length;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
