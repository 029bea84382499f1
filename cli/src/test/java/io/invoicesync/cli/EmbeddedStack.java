package io.invoicesync.cli;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * The whole pipeline on embedded infrastructure for an IT: PostgreSQL with the issuing and query
 * store schemas, an in-process broker, and the pipeline started on them (all components, the API
 * on any free port), waited for until ingest streams and sync-streams runs.
 */
public final class EmbeddedStack implements AutoCloseable {

  public final Path dir;
  public final EmbeddedPostgresServer pg;
  public final EmbeddedKafkaBroker kafka;
  private Pipeline pipeline;

  private EmbeddedStack(Path dir, EmbeddedPostgresServer pg, EmbeddedKafkaBroker kafka) {
    this.dir = dir;
    this.pg = pg;
    this.kafka = kafka;
  }

  public static EmbeddedStack start(Path dir) {
    EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
    EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
    return new EmbeddedStack(dir, pg, kafka);
  }

  /** The pipeline's configuration on this stack, API on any free port; mutable, for the caller's extras. */
  public Map<String, String> config() {
    Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams"));
    cfg.put("api.port", "0");
    return cfg;
  }

  /** Starts every component with {@code cfg} (stopping a pipeline started before) and waits until it streams. */
  public Pipeline startPipeline(Map<String, String> cfg) throws InterruptedException {
    stopPipeline();
    pipeline = new Pipeline(cfg, EnumSet.allOf(Pipeline.Component.class)).start();
    pipeline.awaitIngestStreaming(Duration.ofSeconds(120));
    pipeline.awaitStreamsRunning(Duration.ofSeconds(120));
    return pipeline;
  }

  public void stopPipeline() {
    if (pipeline != null) {
      pipeline.close();
      pipeline = null;
    }
  }

  @Override
  public void close() {
    stopPipeline();
    kafka.close();
    pg.close();
  }
}
