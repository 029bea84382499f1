package io.invoicesync.cli;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made for one test with the JDK's keytool: a CA, and a server certificate for
 * localhost (and 127.0.0.1) signed by it, as PKCS12 keystores for Kafka and as PEM files for
 * PostgreSQL; clients trust the CA (truststore.p12 for Kafka, ca.pem for pgjdbc).
 */
final class TestPki {

  static final String PASSWORD = "test-store-pw";

  final Path caPem;
  final Path truststore;
  final Path serverKeystore;
  final Path serverCertPem;
  final Path serverKeyPem;

  private TestPki(Path dir) {
    caPem = dir.resolve("ca.pem");
    truststore = dir.resolve("truststore.p12");
    serverKeystore = dir.resolve("server.p12");
    serverCertPem = dir.resolve("server.pem");
    serverKeyPem = dir.resolve("server.key");
  }

  static TestPki create(Path dir) throws Exception {
    Files.createDirectories(dir);
    TestPki p = new TestPki(dir);
    Path ca = dir.resolve("ca.p12");
    Path csr = dir.resolve("server.csr");
    keytool("-genkeypair", "-alias", "ca", "-dname", "CN=invoice-sync test CA", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-ext", "bc:c", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-file", p.caPem.toString());
    keytool("-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-keystore", p.serverKeystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-certreq", "-alias", "server", "-keystore", p.serverKeystore.toString(), "-storepass", PASSWORD, "-file", csr.toString());
    keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-infile", csr.toString(), "-outfile",
        p.serverCertPem.toString(), "-rfc", "-validity", "2", "-ext", "SAN=dns:localhost,ip:127.0.0.1,ip:::1",
        "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth");
    keytool("-importcert", "-alias", "ca", "-file", p.caPem.toString(), "-keystore", p.serverKeystore.toString(), "-storepass", PASSWORD,
        "-noprompt");
    keytool("-importcert", "-alias", "server", "-file", p.serverCertPem.toString(), "-keystore", p.serverKeystore.toString(),
        "-storepass", PASSWORD, "-noprompt");
    keytool("-importcert", "-alias", "ca", "-file", p.caPem.toString(), "-keystore", p.truststore.toString(), "-storetype", "PKCS12",
        "-storepass", PASSWORD, "-noprompt");
    // PostgreSQL reads the key as PEM (PKCS#8), readable by its owner only
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p.serverKeystore)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    Key key = ks.getKey("server", PASSWORD.toCharArray());
    String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    Files.writeString(p.serverKeyPem, pem);
    Files.setPosixFilePermissions(p.serverKeyPem, PosixFilePermissions.fromString("rw-------"));
    return p;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + out);
    }
  }
}
