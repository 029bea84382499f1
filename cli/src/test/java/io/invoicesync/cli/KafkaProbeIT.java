package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.cli.management.KafkaProbe;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.schemas.ComponentHealth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Readiness turns red when the broker goes away, whether or not a component has noticed. */
@Timeout(180)
class KafkaProbeIT {

  @TempDir
  Path dir;

  @Test
  void reportsTheClusterReachableThenAnOutageWhenTheBrokerStops() {
    EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    try (KafkaProbe probe = new KafkaProbe(Map.of("bootstrap.servers", kafka.bootstrapServers()), Duration.ofMillis(500))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.health().status() == ComponentHealth.Status.UP);
      kafka.close();
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        ComponentHealth h = probe.health();
        assertThat(h.status()).isEqualTo(ComponentHealth.Status.OUTAGE);
        assertThat(h.details()).containsKey("outageSince");
        assertThat(h.details().get("outage").toString()).startsWith("Kafka does not answer");
      });
    } finally {
      kafka.close();
    }
  }
}
