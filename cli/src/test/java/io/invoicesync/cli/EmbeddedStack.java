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

  /**
   * Starts every component but webhooks with {@code cfg} (stopping a pipeline started before) and waits until it streams: the
   * tests that do not push to an endpoint run as before webhooks existed (their fan-out, stall monitor and gauges cost CPU that
   * timing-sensitive tests on two cores feel).
   */
  public Pipeline startPipeline(Map<String, String> cfg) throws InterruptedException {
    return startPipeline(cfg, false);
  }

  /** As {@link #startPipeline(Map)}, with the webhooks component when {@code webhooks}. */
  public Pipeline startPipeline(Map<String, String> cfg, boolean webhooks) throws InterruptedException {
    stopPipeline();
    EnumSet<Pipeline.Component> components = EnumSet.allOf(Pipeline.Component.class);
    if (!webhooks) {
      components.remove(Pipeline.Component.WEBHOOKS);
    }
    pipeline = new Pipeline(cfg, components).start();
    pipeline.awaitIngestStreaming(Duration.ofSeconds(120));
    pipeline.awaitStreamsRunning(Duration.ofSeconds(120));
    return pipeline;
  }

  /** {@code cfg} as a 'run' properties file in the stack's directory, for the commands that take {@code --config}. */
  public Path writeConfig(Map<String, String> cfg) throws java.io.IOException {
    StringBuilder props = new StringBuilder();
    new java.util.TreeMap<>(cfg).forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
    return java.nio.file.Files.writeString(dir.resolve("run.properties"), props);
  }

  /** The first column of every row {@code sql} returns from the query store. */
  public List<String> storeColumn(String sql) throws java.sql.SQLException {
    List<String> out = new java.util.ArrayList<>();
    try (java.sql.Connection c = pg.connect("querystore"); java.sql.Statement s = c.createStatement();
         java.sql.ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** The first column of the first row {@code sql} returns from the query store, or null when none. */
  public String store(String sql) throws java.sql.SQLException {
    List<String> rows = storeColumn(sql);
    return rows.isEmpty() ? null : rows.get(0);
  }

  /** The pinyin tables (skj.fp_kj, skj.fp_mx) in the issuing database and their mapping file in the stack's directory; returns the file. */
  public Path installPinyin() throws java.sql.SQLException, java.io.IOException {
    try (java.sql.Connection c = pg.connect("issuing")) {
      return io.invoicesync.ingest.mapping.PinyinExample.install(c, dir);
    }
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
