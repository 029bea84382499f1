package io.invoicesync.cli;

import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.generator.IssuingSchema;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.ingest.mapping.MappingSql;
import java.nio.file.Path;
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
  static EmbeddedStack stack;
  static Pipeline pipeline;
  static MappingSql sql;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    Path mapping = stack.installPinyin(); // skj.fp_kj, skj.fp_mx and pinyin.yaml, as demo --mapping pinyin sets them up
    sql = new MappingSql(Mapping.load(mapping));
    Map<String, String> cfg = stack.config();
    cfg.put("ingest.mapping.file", mapping.toString());
    pipeline = stack.startPipeline(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldLoseNothingAndApplyNoVersionTwiceWhenIngestRestartsUnderLoadOnThePinyinTables() throws Exception {
    InvoiceGenerator generator = new InvoiceGenerator(stack.pg.jdbcUrl("issuing"), "py-", 7, true, IssuingSchema.PINYIN);
    // the source read through the mapping as SQL (MappingSqlIT shows it computes what the mapper computes)
    PipelineIT.assertLosesNothingAcrossAnIngestRestart(pipeline, stack.pg, stack.kafka, generator, sql.header(), sql.lines());
  }
}
