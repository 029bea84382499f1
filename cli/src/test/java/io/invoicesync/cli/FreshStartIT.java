package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pipeline's first start on an empty query store, as {@code demo} and {@code run} with {@code projector.migrate}
 * (the default) start: the store's schema is migrated beside the Kafka stages' start, and what reads or writes the
 * store starts after it. The webhooks' configured endpoint is written at their start: on a store not yet migrated
 * that write fails, and the start with it.
 */
@Timeout(300)
class FreshStartIT {

  @TempDir
  Path dir;

  @Test
  void migratesTheQueryStoreBesideTheKafkaStagesAndStartsItsReadersAfterIt() throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams"));
      cfg.put("projector.migrate", "true"); // the query store is empty: no table yet
      cfg.put("api.port", "0");
      cfg.put("webhooks.endpoints", "erp");
      cfg.put("webhooks.endpoint.erp.url", "http://127.0.0.1:9/hooks");
      cfg.put("webhooks.endpoint.erp.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
      try (Pipeline pipeline = new Pipeline(cfg, EnumSet.allOf(Pipeline.Component.class)).start()) {
        pipeline.awaitStreamsRunning(Duration.ofMinutes(2));
        assertThat(pipeline.health()).containsKeys("ingest", "streams", "projector", "outcomes", "api", "webhooks");
        assertThat(pipeline.fatal()).isEmpty();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("querystore"));
             ResultSet endpoint = c.createStatement().executeQuery("SELECT url FROM webhook_endpoint WHERE description = 'configured: erp'")) {
          assertThat(endpoint.next()).as("the configured endpoint, stored at the webhooks' start").isTrue();
          assertThat(endpoint.getString(1)).isEqualTo("http://127.0.0.1:9/hooks");
        }
      }
    }
  }
}
