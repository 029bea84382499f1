package io.invoicesync.cli;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.generator.IssuingSchema;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.ingest.mapping.MappingSql;
import io.invoicesync.projector.QueryStoreSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PipelineIT}'s end-to-end check, unchanged, on a tax-control system's own tables
 * ({@code skj.fp_kj}, {@code skj.fp_mx}: pinyin columns, no primary key, the code and number as the
 * key, text dates, amounts as text and in fen, percent rates, status codes, no foreign key) captured
 * through the example mapping {@code pinyin.yaml}: 1,000 invoices of both generations, invalid
 * ones, status changes, red-letter ones reversing their blue one in the same transaction, and an
 * ingest restart half way.
 */
@Timeout(600)
class PinyinPipelineIT {

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;
  static Pipeline pipeline;
  static MappingSql sql;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", ""); // the heartbeat and signal tables
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
    Path mapping = PinyinExample.install(pg, dir); // skj.fp_kj, skj.fp_mx and pinyin.yaml, as demo --mapping pinyin sets them up
    sql = new MappingSql(Mapping.load(mapping));
    Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams"));
    cfg.put("api.port", "0");
    cfg.put("ingest.mapping.file", mapping.toString());
    pipeline = new Pipeline(cfg, EnumSet.allOf(Pipeline.Component.class)).start();
    pipeline.awaitIngestStreaming(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void shouldLoseNothingAndApplyNoVersionTwiceWhenIngestRestartsUnderLoadOnThePinyinTables() throws Exception {
    InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "py-", 7, true, IssuingSchema.PINYIN);
    // the source read through the mapping as SQL (MappingSqlIT shows it computes what the mapper computes)
    PipelineIT.assertLosesNothingAcrossAnIngestRestart(pipeline, pg, kafka, generator, sql.header(), sql.lines());
  }
}
