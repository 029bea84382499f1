package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.perInvoice;
import static io.invoicesync.bench.BenchRun.round;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.IngestService;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Step 1, the Debezium capture ceiling: the engine configured exactly as ingest configures it,
 * feeding a no-op consumer, over a WAL backlog of {@code 2n} issued invoices. The first {@code n}
 * warm the engine up (JIT); the rate is taken over the second {@code n}, so that it compares with
 * the pipeline's sustained (warm) rate. The cold rate, engine start included, is recorded too.
 */
final class CaptureStep {

  /**
   * @param invoicesPerS        warm rate: invoice creations seen per second over the second half
   * @param coldInvoicesPerS    rate over the first half, engine start and JIT warm-up included
   * @param cpuMsPerInvoiceByStage CPU milliseconds per invoice over the warm half, by stage
   */
  record Result(double invoicesPerS, double coldInvoicesPerS, Map<String, Double> cpuMsPerInvoiceByStage) {
  }

  private CaptureStep() {
  }

  static Result run(BenchRun run) throws Exception {
    int n = run.backlog();
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(run.work().resolve("pg-capture"), List.of("issuing"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      BenchRun.prepareCapture(pg);
      run.issue(pg, 2 * n, "bench-");
      Map<String, Object> cfg = Map.of(IngestConfig.BOOTSTRAP_SERVERS, "unused:9092", IngestConfig.DATABASE_PORT, pg.port(),
          IngestConfig.SNAPSHOT_MODE, "no_data");
      Properties p = new IngestService(new IngestConfig(cfg), new SimpleMeterRegistry()).engineProperties();
      p.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
      AtomicLong created = new AtomicLong();
      CountDownLatch warm = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(1);
      DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
          .using(p)
          .notifying((records, committer) -> {
            for (RecordChangeEvent<SourceRecord> r : records) {
              if (isInvoiceCreation(r.record())) {
                long seen = created.incrementAndGet();
                if (seen == n) {
                  warm.countDown();
                } else if (seen >= 2L * n) {
                  done.countDown();
                }
              }
              committer.markProcessed(r);
            }
            committer.markBatchFinished();
          }).build();
      ExecutorService ex = Executors.newSingleThreadExecutor();
      try {
        long t0 = System.nanoTime();
        ex.execute(engine);
        if (!warm.await(10, TimeUnit.MINUTES)) {
          throw new IllegalStateException("capture saw " + created.get() + " of " + n + " invoices in 10 minutes");
        }
        long tWarm = System.nanoTime();
        CpuBreakdown cpu = CpuBreakdown.start(run.work().resolve("pg-capture"));
        if (!done.await(10, TimeUnit.MINUTES)) {
          throw new IllegalStateException("capture saw " + created.get() + " of " + 2 * n + " invoices in 10 minutes");
        }
        long tDone = System.nanoTime();
        Map<String, Double> byStage = perInvoice(cpu.stop(), n);
        double cold = n / ((tWarm - t0) / 1e9);
        double seconds = (tDone - tWarm) / 1e9;
        log("   first %d invoices in %.1f s (engine start and JIT warm-up: %.0f/s); the next %d in %.1f s; CPU ms per invoice: %s",
            n, (tWarm - t0) / 1e9, cold, n, seconds, byStage);
        return new Result(round(n / seconds), round(cold), byStage);
      } finally {
        engine.close();
        ex.shutdownNow();
      }
    }
  }

  private static boolean isInvoiceCreation(SourceRecord record) {
    return record.value() instanceof Struct s && s.schema().field("source") != null && s.schema().field("op") != null
        && "invoice".equals(s.getStruct("source").getString("table")) && "c".equals(s.getString("op"));
  }
}
