package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.cli.config.ConfigLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code invoice-sync infra}: the infrastructure alone, with a run configuration that passes start-up checks and reaches it. */
@Timeout(300)
class InfraCommandIT {

  @TempDir
  Path dir;

  @Test
  void startsPostgresAndKafkaWritesAValidRunConfigurationAndIssuesTheLoadItIsAskedFor() throws Exception {
    StringWriter out = new StringWriter();
    CommandLine cli = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out, true));
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute("infra", "--data-dir", dir.toString(), "--rate", "20",
        "--count", "40", "--duration", "25"));
    Path config = dir.toAbsolutePath().resolve("run.properties");
    await().atMost(Duration.ofMinutes(2)).until(() -> out.toString().contains("config:"));
    assertThat(out.toString()).contains("issuing-db:  jdbc:postgresql://", "kafka:       localhost:", "psql:");

    Map<String, String> values = ConfigLoader.load(config, Map.of());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", values.get("bootstrap.servers")))) {
      assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
    }
    await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
      try (Connection c = DriverManager.getConnection(values.get("api.source.jdbc.url"));
           ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM issuing.invoice")) {
        rs.next();
        assertThat(rs.getLong(1)).as("--rate issues invoices").isPositive();
      }
    });
    await().atMost(Duration.ofMinutes(1)).until(() -> out.toString().contains("issued 40 invoices"));
    assertThat(exit.get(2, TimeUnit.MINUTES)).isZero();
    assertThat(Files.exists(dir.resolve("postgres"))).isTrue();
  }

  @Test
  void printsItsAddressesAsOneJsonObjectForScripts() throws Exception {
    StringWriter out = new StringWriter();
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out, true))
        .execute("infra", "--data-dir", dir.resolve("json").toString(), "-o", "json", "--duration", "1");
    assertThat(exit).isZero();
    var urls = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString().lines().findFirst().orElseThrow());
    assertThat(urls.get("issuingDb").asText()).startsWith("jdbc:postgresql://localhost:");
    assertThat(urls.get("kafka").asText()).startsWith("localhost:");
    assertThat(Path.of(urls.get("config").asText())).exists();
  }
}
