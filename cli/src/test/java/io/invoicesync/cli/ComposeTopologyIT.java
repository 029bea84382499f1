package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.testkit.TestHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker-compose.yml's topology where no Docker engine runs: each invoice-sync service of the compose
 * file started as its own `run` process with the service's own command, environment and the image's
 * invoice-sync.properties; only what differs between a container network and one machine is
 * overridden through the environment, as an operator would (the addresses of PostgreSQL and Kafka,
 * ports, the state directory; registry-less, for there is no registry here).
 */
@Timeout(600)
class ComposeTopologyIT {

  private static final Pattern DEFAULTED = Pattern.compile("\\$\\{[A-Z_]+:-([^}]*)}");

  @TempDir
  Path dir;

  @Test
  void theComposeServicesRunAsSeparateProcessesWithTheComposeFilesOwnConfiguration() throws Exception {
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(DockerComposeIT.DOCKER.resolve("docker-compose.yml").toFile()).get("services");
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      Map<String, String> here = new LinkedHashMap<>();
      here.put("INVOICESYNC_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
      here.put("INVOICESYNC_SCHEMA_REGISTRY_URL", "");
      here.put("INVOICESYNC_INGEST_DATABASE_HOSTNAME", "localhost");
      here.put("INVOICESYNC_INGEST_DATABASE_PORT", Integer.toString(pg.port()));
      here.put("INVOICESYNC_PROJECTOR_JDBC_URL", "jdbc:postgresql://localhost:" + pg.port() + "/querystore");
      here.put("INVOICESYNC_API_JDBC_URL", "jdbc:postgresql://localhost:" + pg.port() + "/querystore");
      here.put("INVOICESYNC_WEBHOOKS_JDBC_URL", "jdbc:postgresql://localhost:" + pg.port() + "/querystore");
      here.put("INVOICESYNC_API_PORT", "0");
      here.put("INVOICESYNC_MANAGEMENT_PORT", "0");
      here.put("INVOICESYNC_STREAMS_STATE_DIR", dir.resolve("streams").toString());
      here.put("INVOICESYNC_TOPICS_REPLICATION_FACTOR", "1");

      Map<String, Process> running = new LinkedHashMap<>();
      try {
        for (String name : List.of("ingest", "streams", "projector", "api", "webhooks")) {
          running.put(name, start(name, services.get(name), here));
        }
        Map<String, Integer> management = new LinkedHashMap<>();
        for (String name : running.keySet()) {
          management.put(name, RunProcess.port(running.get(name), dir.resolve(name + ".out"), RunProcess.MANAGEMENT));
        }
        for (Map.Entry<String, Integer> e : management.entrySet()) {
          await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
              assertThat(TestHttp.get(e.getValue(), "/health/ready").statusCode()).as(e.getKey() + " ready").isEqualTo(200));
        }
        int api = RunProcess.port(running.get("api"), dir.resolve("api.out"), RunProcess.API);
        InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "compose-", 5, true);
        for (Thread t : generator.startAtRate(50, 1, () -> generator.issuedCount() >= 30)) {
          t.join();
        }
        List<String> valid = generator.ledger().values().stream().filter(InvoiceGenerator.Issued::valid).map(InvoiceGenerator.Issued::id).toList();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
          for (String id : valid) {
            assertThat(TestHttp.get(api, "/api/v1/invoices/" + id).statusCode()).as(id).isEqualTo(200);
          }
        });
        for (Map.Entry<String, Integer> e : management.entrySet()) {
          assertThat(TestHttp.get(e.getValue(), "/metrics").body()).as(e.getKey() + " metrics")
              .contains("component=\"" + e.getKey() + "\"", "instance=\"" + e.getKey() + "\"");
        }
      } finally {
        running.values().forEach(Process::destroy);
        for (Process p : running.values()) {
          p.waitFor(90, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** The service's command (its config path mapped to the repository's file) and environment (compose's defaults, .env's values), plus {@code here}. */
  private Process start(String name, JsonNode service, Map<String, String> here) throws Exception {
    List<String> args = new ArrayList<>();
    service.get("command").forEach(c -> args.add(c.asText().equals("/etc/invoice-sync/invoice-sync.properties")
        ? DockerComposeIT.DOCKER.resolve("invoice-sync.properties").toString() : c.asText()));
    Map<String, String> env = new LinkedHashMap<>();
    service.path("environment").fields().forEachRemaining(e -> {
      Matcher m = DEFAULTED.matcher(e.getValue().asText());
      // ${VAR:?...}: what the operator's docker/.env sets (the embedded server trusts any password)
      env.put(e.getKey(), m.matches() ? m.group(1) : e.getValue().asText().matches("\\$\\{[A-Z_]+:\\?.*}") ? "from-docker-env"
          : e.getValue().asText());
    });
    env.putAll(here);
    return RunProcess.start(dir.resolve(name + ".out"), "-Xmx384m", env, args.toArray(String[]::new));
  }
}
