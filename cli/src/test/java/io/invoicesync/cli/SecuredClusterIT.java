package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.testkit.TestHttp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline as four separate {@code run} processes (ingest, streams, projector, api) on a
 * secured cluster: Kafka reached only through a SASL_SSL listener (SCRAM-SHA-512, a CA made by the
 * test), its password resolved by Kafka's file config provider; PostgreSQL with {@code ssl=on} and
 * pg_hba admitting the pipeline's roles only over TLS, each component with a role of its own and
 * only the privileges it needs: ingest replication and reading the invoice tables, the projector
 * writing the query store, the API reading it. The operator commands reach the same cluster with
 * {@code --config}.
 */
@Timeout(600)
class SecuredClusterIT {


  @TempDir
  Path dir;

  @Test
  void runsEndToEndAsSeparateComponentsOverSaslSslAndTlsWithLeastPrivilegeRoles() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0,
             new EmbeddedKafkaBroker.SaslSslListener(pki.serverKeystore, TestPki.PASSWORD))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      secure(pg, pki);
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("invoice-sync",
            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "kafka-pw"))).all().get(30, TimeUnit.SECONDS);
      }
      Path kafkaSecret = Files.writeString(dir.resolve("kafka-secret.properties"), "password=kafka-pw\n");
      String tls = "?sslmode=verify-full&sslrootcert=" + pki.caPem;
      Map<String, String> cfg = new LinkedHashMap<>();
      cfg.put("bootstrap.servers", kafka.saslSslBootstrapServers()); // the SASL_SSL listener only
      cfg.put("security.protocol", "SASL_SSL");
      cfg.put("sasl.mechanism", "SCRAM-SHA-512");
      cfg.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"invoice-sync\" "
          + "password=\"${file:" + kafkaSecret + ":password}\";");
      cfg.put("ssl.truststore.location", pki.truststore.toString());
      cfg.put("ssl.truststore.password", TestPki.PASSWORD);
      cfg.put("ssl.truststore.type", "PKCS12");
      cfg.put("config.providers", "file");
      cfg.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
      cfg.put("topics.replication.factor", "1");
      cfg.put("ingest.database.port", Integer.toString(pg.port()));
      cfg.put("ingest.database.dbname", "issuing");
      cfg.put("ingest.debezium.database.sslmode", "verify-full");
      cfg.put("ingest.debezium.database.sslrootcert", pki.caPem.toString());
      cfg.put("streams.state.dir", dir.resolve("streams").toString());
      cfg.put("projector.jdbc.url", "jdbc:postgresql://localhost:" + pg.port() + "/querystore" + tls);
      cfg.put("projector.migrate", "false");
      cfg.put("api.jdbc.url", "jdbc:postgresql://localhost:" + pg.port() + "/querystore" + tls);
      cfg.put("api.source.jdbc.url", "jdbc:postgresql://localhost:" + pg.port() + "/issuing" + tls);
      cfg.put("api.port", "0");
      // the API: HTTPS with the test CA's server certificate, bearer tokens (the HS256 key comes from the environment)
      cfg.put("api.auth.mode", "jwt");
      cfg.put("api.auth.jwt.issuer", "https://idp.example.com/");
      cfg.put("api.auth.jwt.audience", "invoice-sync");
      cfg.put("api.tls.keystore.path", pki.serverKeystore.toString());
      cfg.put("api.tls.keystore.password", TestPki.PASSWORD);
      cfg.put("management.port", "0");
      Path config = dir.resolve("run.properties");
      StringBuilder props = new StringBuilder();
      cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
      Files.writeString(config, props.toString());

      // each component its own process and database role; credentials from the environment
      List<Process> processes = new ArrayList<>();
      try {
        Process ingest = start(config, "ingest", Map.of("INVOICESYNC_INGEST_DATABASE_USER", "ingest_role",
            "INVOICESYNC_INGEST_DATABASE_PASSWORD", "ingest-pw"));
        processes.add(ingest);
        processes.add(start(config, "streams", Map.of()));
        processes.add(start(config, "projector", Map.of("INVOICESYNC_PROJECTOR_JDBC_USER", "projector_role",
            "INVOICESYNC_PROJECTOR_JDBC_PASSWORD", "projector-pw")));
        Process api = start(config, "api", Map.of("INVOICESYNC_API_JDBC_USER", "api_role", "INVOICESYNC_API_JDBC_PASSWORD", "api-pw",
            "INVOICESYNC_API_SOURCE_JDBC_USER", "api_role", "INVOICESYNC_API_SOURCE_JDBC_PASSWORD", "api-pw",
            "INVOICESYNC_API_AUTH_JWT_SECRET", JWT_KEY));
        processes.add(api);
        List<String> names = List.of("ingest", "streams", "projector", "api");
        for (int i = 0; i < names.size(); i++) {
          String c = names.get(i);
          int port = RunProcess.port(processes.get(i), dir.resolve(c + ".out"), RunProcess.MANAGEMENT);
          await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
              assertThat(TestHttp.get(port, "/health/ready").statusCode()).as(c + " ready").isEqualTo(200));
        }
        int apiPort = RunProcess.port(api, dir.resolve("api.out"), RunProcess.API);

        InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "sec-", 31, true);
        for (Thread t : generator.startAtRate(50, 1, () -> generator.issuedCount() >= 60)) {
          t.join();
        }
        List<String> valid = generator.ledger().values().stream().filter(InvoiceGenerator.Issued::valid).map(InvoiceGenerator.Issued::id).toList();
        String everyone = hs256(List.of(), "invoices:read invoices:trace invoices:all");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
          for (String id : valid) {
            assertThat(https(pki, apiPort, "/api/v1/invoices/" + id, everyone).statusCode()).as(id + " visible through the API").isEqualTo(200);
          }
        });
        // an ERP's token for one seller, over TLS: its invoices and nothing else; no token, no answer
        String seller = com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
            .readTree(https(pki, apiPort, "/api/v1/invoices/" + valid.get(0), everyone).body()).get("seller").get("taxId").asText();
        String erp = hs256(List.of(seller));
        com.fasterxml.jackson.databind.JsonNode own = com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
            .readTree(https(pki, apiPort, "/api/v1/invoices?limit=500", erp).body());
        assertThat(own.get("items")).isNotEmpty().allSatisfy(i -> assertThat(List.of(i.get("seller").get("taxId").asText(),
            i.get("buyer").get("taxId").asText())).contains(seller));
        assertThat(https(pki, apiPort, "/api/v1/invoices/" + valid.get(0), null).statusCode()).isEqualTo(401);
        String foreign = valid.stream().filter(id -> {
          try {
            return !https(pki, apiPort, "/api/v1/invoices/" + id, everyone).body().contains(seller);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }).findFirst().orElseThrow();
        assertThat(https(pki, apiPort, "/api/v1/invoices/" + foreign, erp).statusCode()).as("another seller's invoice").isEqualTo(404);

        // every connection of the pipeline's roles is TLS, and each role has only what it was granted
        Map<String, Boolean> ssl = sslByRole(pg);
        assertThat(ssl).containsKeys("ingest_role", "projector_role", "api_role").doesNotContainValue(false);
        assertThat(refused(pg, "querystore", "api_role", "api-pw", pki, "DELETE FROM invoice")).as("the API's role only reads").isTrue();
        assertThat(refused(pg, "issuing", "ingest_role", "ingest-pw", pki, "DELETE FROM issuing.invoice")).isTrue();
        assertThat(refused(pg, "querystore", "projector_role", "projector-pw", null, "SELECT 1")).as("no plaintext login").isTrue();

        // the operator commands reach the secured cluster through the run configuration
        StringWriter out = new StringWriter();
        int audit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(out))
            .execute("audit", "verify", "--config", config.toString(), "--no-progress");
        assertThat(audit).as(out.toString()).isZero();
        StringWriter dlt = new StringWriter();
        assertThat(InvoiceSyncCommand.commandLine().setOut(new PrintWriter(dlt)).setErr(new PrintWriter(dlt))
            .execute("dlt", "list", "--config", config.toString())).as(dlt.toString()).isZero();
      } finally {
        for (Process p : processes) {
          p.destroy();
        }
        for (Process p : processes) {
          p.waitFor(90, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** ssl=on with the test CA's server certificate; the pipeline's roles admitted over TLS only, the superuser (test setup) as before. */
  static final String JWT_KEY = "secured-cluster-it-hs256-key-0123456789";

  /** A token as an identity provider would issue it (HS256, written out by hand: the test needs no JWT library). */
  static String hs256(List<String> taxIds) throws Exception {
    return hs256(taxIds, "invoices:read invoices:trace");
  }

  static String hs256(List<String> taxIds, String scope) throws Exception {
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String claims = b64.encodeToString(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(Map.of("iss", "https://idp.example.com/",
        "aud", "invoice-sync", "sub", "erp", "exp", java.time.Instant.now().getEpochSecond() + 600, "scope", scope,
        "tax_ids", taxIds)));
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(JWT_KEY.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
    return header + "." + claims + "." + b64.encodeToString(mac.doFinal((header + "." + claims).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** GET over HTTPS, trusting only the test CA (and checking the host name). */
  static HttpResponse<String> https(TestPki pki, int port, String path, String token) throws Exception {
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(pki.truststore)) {
      trust.load(in, TestPki.PASSWORD.toCharArray());
    }
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    URI uri = URI.create("https://localhost:" + port + path);
    HttpRequest request = (token == null ? TestHttp.request(uri) : TestHttp.request(uri, token)).build();
    return HttpClient.newBuilder().sslContext(ssl).build().send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static void secure(EmbeddedPostgresServer pg, TestPki pki) throws Exception {
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE ingest_role LOGIN REPLICATION PASSWORD 'ingest-pw'");
      s.execute("CREATE ROLE projector_role LOGIN PASSWORD 'projector-pw'");
      s.execute("CREATE ROLE api_role LOGIN PASSWORD 'api-pw'");
      s.execute("GRANT USAGE ON SCHEMA issuing TO ingest_role, api_role");
      s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA issuing TO ingest_role, api_role");
      s.execute("GRANT INSERT, UPDATE ON issuing.invoice_sync_heartbeat TO ingest_role");
      s.execute("GRANT INSERT, UPDATE, DELETE ON issuing.invoice_sync_signal TO ingest_role");
      // the publication is the DBA's: ingest (not the tables' owner) validates it
      s.execute("CREATE PUBLICATION invoice_sync FOR TABLE issuing.invoice, issuing.invoice_line, issuing.invoice_sync_heartbeat, "
          + "issuing.invoice_sync_signal");
      s.execute("ALTER SYSTEM SET ssl = 'on'");
      s.execute("ALTER SYSTEM SET ssl_cert_file = '" + pki.serverCertPem + "'");
      s.execute("ALTER SYSTEM SET ssl_key_file = '" + pki.serverKeyPem + "'");
    }
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO projector_role");
      s.execute("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO projector_role");
      s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO api_role");
    }
    Path hba = dir(pg).resolve("pg_hba.conf");
    Files.writeString(hba, String.join("\n",
        "local all all trust",
        "host all postgres 127.0.0.1/32 trust",
        "host all postgres ::1/128 trust",
        "host replication postgres 127.0.0.1/32 trust",
        "hostssl all ingest_role,projector_role,api_role 127.0.0.1/32 scram-sha-256",
        "hostssl all ingest_role,projector_role,api_role ::1/128 scram-sha-256",
        "hostssl replication ingest_role 127.0.0.1/32 scram-sha-256",
        "hostssl replication ingest_role ::1/128 scram-sha-256", ""));
    try (Connection c = pg.connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_reload_conf()")) {
      rs.next();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      try (Connection c = pg.connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW ssl")) {
        rs.next();
        return rs.getString(1).equals("on");
      }
    });
  }

  private static Path dir(EmbeddedPostgresServer pg) throws Exception {
    try (Connection c = pg.connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW data_directory")) {
      rs.next();
      return Path.of(rs.getString(1));
    }
  }

  private static Map<String, Boolean> sslByRole(EmbeddedPostgresServer pg) throws Exception {
    Map<String, Boolean> m = new HashMap<>();
    try (Connection c = pg.connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT a.usename, bool_and(s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
            + "WHERE a.usename IN ('ingest_role', 'projector_role', 'api_role') GROUP BY a.usename")) {
      while (rs.next()) {
        m.put(rs.getString(1), rs.getBoolean(2));
      }
    }
    return m;
  }

  /** Whether {@code sql} as {@code role} fails (TLS when {@code pki} is given, plaintext otherwise). */
  private static boolean refused(EmbeddedPostgresServer pg, String db, String role, String password, TestPki pki, String sql) {
    Properties p = new Properties();
    p.put("user", role);
    p.put("password", password);
    p.put("sslmode", pki == null ? "disable" : "verify-full");
    if (pki != null) {
      p.put("sslrootcert", pki.caPem.toString());
    }
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.port() + "/" + db, p); Statement s = c.createStatement()) {
      s.execute(sql);
      return false;
    } catch (SQLException e) {
      return true;
    }
  }

  private Process start(Path config, String component, Map<String, String> env) throws Exception {
    return RunProcess.start(dir.resolve(component + ".out"), "-Xmx384m", env, "run", "--config", config.toString(), "--components", component);
  }
}
