package io.invoicesync.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.bench.StoreWrites.Kind;
import io.invoicesync.bench.StoreWrites.Stat;
import io.invoicesync.testkit.GitState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure computations behind issue 23's per-invoice budgets and repeatability figures. */
class BudgetTest {

  @Test
  void kafkaRecordsAreEndOffsetDeltasOverEveryTopicNewTopicsFromZero() {
    Map<String, Long> before = Map.of("invoices.synced", 100L, "__consumer_offsets", 50L, "idle", 7L);
    Map<String, Long> after = Map.of("invoices.synced", 130L, "__consumer_offsets", 90L, "idle", 7L, "new-changelog", 5L);
    Map<String, Long> d = KafkaWrites.delta(before, after);
    assertThat(d).containsExactlyInAnyOrderEntriesOf(Map.of("invoices.synced", 30L, "__consumer_offsets", 40L, "new-changelog", 5L));

    KafkaWrites w = new KafkaWrites(d, 10, 20);
    assertThat(w.total()).isEqualTo(75);
    assertThat(w.perInvoice()).isEqualTo(7.5);
    assertThat(w.perCapturedChange()).isEqualTo(3.75);
    assertThat(w.recordsByTopic().keySet()).containsExactly("__consumer_offsets", "invoices.synced", "new-changelog");
    assertThat(w.perInvoiceByTopic()).containsEntry("__consumer_offsets", 4.0);
    assertThat(new KafkaWrites(d, 10, -1).perCapturedChange()).isNull();
  }

  @Test
  void settledWhenTheLastSecondAddedAtMostTheTolerance() {
    assertThat(KafkaWrites.settled(List.of(100L, 100L), 2, 3)).isFalse(); // not two intervals yet
    assertThat(KafkaWrites.settled(List.of(100L, 200L, 300L), 2, 3)).isFalse();
    assertThat(KafkaWrites.settled(List.of(100L, 200L, 202L, 203L), 2, 3)).isTrue();
    assertThat(KafkaWrites.settled(List.of(200L, 200L, 204L), 2, 3)).isFalse();
  }

  @Test
  void statementsAreClassifiedByWhatTheyDo() {
    assertThat(StoreWrites.kind("INSERT INTO invoice (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET x = $2")).isEqualTo(Kind.WRITE);
    assertThat(StoreWrites.kind("  update invoice set status = $1")).isEqualTo(Kind.WRITE);
    assertThat(StoreWrites.kind("/* c */ DELETE FROM invoice_line WHERE invoice_id = $1")).isEqualTo(Kind.WRITE);
    assertThat(StoreWrites.kind("-- note\nMERGE INTO t USING s ON true WHEN MATCHED THEN DO NOTHING")).isEqualTo(Kind.WRITE);
    assertThat(StoreWrites.kind("WITH u AS (UPDATE t SET a = $1 RETURNING id) SELECT count(*) FROM u")).isEqualTo(Kind.WRITE);
    assertThat(StoreWrites.kind("WITH x AS (SELECT id FROM t FOR UPDATE) SELECT * FROM x")).isEqualTo(Kind.READ);
    assertThat(StoreWrites.kind("WITH x AS (SELECT updated_at FROM t) SELECT * FROM x")).isEqualTo(Kind.READ);
    assertThat(StoreWrites.kind("COPY staging (id, body) FROM STDIN")).isEqualTo(Kind.WRITE);
    assertThat(StoreWrites.kind("COPY (SELECT * FROM t) TO STDOUT")).isEqualTo(Kind.READ);
    assertThat(StoreWrites.kind("(SELECT 1) UNION (SELECT 2)")).isEqualTo(Kind.READ);
    assertThat(StoreWrites.kind("select id from invoice where id = any($1)")).isEqualTo(Kind.READ);
    assertThat(StoreWrites.kind("BEGIN")).isEqualTo(Kind.TRANSACTION);
    assertThat(StoreWrites.kind("COMMIT")).isEqualTo(Kind.TRANSACTION);
    assertThat(StoreWrites.kind("SET LOCAL synchronous_commit = off")).isEqualTo(Kind.OTHER);
  }

  @Test
  void storeBudgetCountsTopLevelNonReadsAndEveryWrittenRowButNotTheBenchsOwnQueries() {
    List<Stat> stats = List.of(
        new Stat("INSERT INTO invoice SELECT * FROM unnest($1::text[])", true, 10, 1_000),
        new Stat("INSERT INTO invoice_line SELECT * FROM unnest($1::text[])", true, 10, 3_000),
        new Stat("UPDATE invoice_outcome SET x = $1", true, 5, 500),
        new Stat("INSERT INTO audit_row VALUES ($1)", false, 1_000, 1_000), // a trigger's: rows count, the statement does not
        new Stat("SELECT id FROM invoice WHERE id = $1", true, 2_000, 2_000),
        new Stat("BEGIN", true, 10, 0),
        new Stat("COMMIT", true, 10, 0),
        new Stat("SET application_name = $1", true, 1, 0),
        new Stat("/* " + StoreWrites.BENCH_TAG + " */ SELECT count(*) FROM invoice", true, 300, 300));
    StoreWrites s = StoreWrites.summarize(stats, 1_000, 0);
    assertThat(s.statements()).isEqualTo(26);
    assertThat(s.rowsWritten()).isEqualTo(5_500);
    assertThat(s.reads()).isEqualTo(2_000);
    assertThat(s.transactions()).isEqualTo(10);
    assertThat(s.statementsPerInvoice()).isEqualTo(0.026);
    assertThat(s.rowsWrittenPerInvoice()).isEqualTo(5.5);
    assertThat(s.top()).hasSize(7).first().asString().startsWith("2.000 calls/invoice, 2.000 rows/invoice, read: SELECT id FROM invoice");
    assertThat(s.top()).noneMatch(l -> l.contains(StoreWrites.BENCH_TAG));
  }

  @Test
  void pipelineCpuIsEverythingButTheGeneratorTheBenchAndTheIssuingBackends() {
    Map<String, Double> raw = new java.util.HashMap<>(Map.of(
        "sync-streams", 4.0, CpuBreakdown.GENERATOR, 1.0, CpuBreakdown.BENCH_MAIN, 0.5, CpuBreakdown.BENCH_ADMIN, 0.25,
        CpuBreakdown.TOTAL_JVM, 10.0));
    raw.putAll(Map.of(
        CpuBreakdown.PG_PREFIX + "backends of database querystore", 2.0, CpuBreakdown.PG_PREFIX + CpuBreakdown.PG_ISSUING, 1.5,
        CpuBreakdown.PG_PREFIX + CpuBreakdown.PG_POSTGRES, 0.1, CpuBreakdown.PG_PREFIX + CpuBreakdown.PG_BENCH, 0.4,
        CpuBreakdown.PG_PREFIX + "WAL sender (logical decoding)", 0.5, CpuBreakdown.POSTGRESQL, 5.0));
    // JVM 10 - 1 - 0.5 - 0.25 = 8.25; PostgreSQL 5 - 1.5 - 0.1 - 0.4 = 3.0
    assertThat(CpuBreakdown.pipelineSeconds(raw)).isCloseTo(11.25, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(CpuBreakdown.pipelineSeconds(Map.of(CpuBreakdown.TOTAL_JVM, 2.0))).isEqualTo(2.0);
  }

  @Test
  void theBenchsAdminClientThreadIsBookedToTheBench() {
    assertThat(CpuBreakdown.stage("kafka-admin-client-thread | " + CpuBreakdown.BENCH_CLIENT_ID)).isEqualTo(CpuBreakdown.BENCH_ADMIN);
    assertThat(CpuBreakdown.stage("main")).isEqualTo(CpuBreakdown.BENCH_MAIN);
    assertThat(CpuBreakdown.stage("invoice-generator-0")).isEqualTo(CpuBreakdown.GENERATOR);
    assertThat(CpuBreakdown.stage("kafka-admin-client-thread | invoice-sync-kafka-probe")).startsWith("other (");
    // step webhooks: the receiver is the bench's; the dispatcher, its HTTP client and the fan-out are the webhooks component's
    assertThat(CpuBreakdown.stage("bench-receiver-3")).isEqualTo(CpuBreakdown.BENCH_RECEIVER);
    assertThat(CpuBreakdown.stage("invoice-sync-webhooks-dispatch")).startsWith("webhooks");
    assertThat(CpuBreakdown.stage("HttpClient-1-SelectorManager")).startsWith("webhooks");
    assertThat(CpuBreakdown.stage("webhooks housekeeper")).startsWith("webhooks");
  }

  @Test
  void theJitCompilerHasSettledUnderATenthOfACore() {
    assertThat(JitCompiler.settled(999, 10)).isTrue();
    assertThat(JitCompiler.settled(1_000, 10)).isFalse();
    assertThat(JitCompiler.settled(6_900, 10)).as("0.69 cores: step e2e's 200/s window before the warm-up").isFalse();
  }

  @Test
  void spreadIsMinMedianMaxOfTheNumbersOnly() {
    assertThat(BenchRun.spread(List.of(30.0, 10.0, 20.0))).containsExactly(10.0, 20.0, 30.0);
    assertThat(BenchRun.spread(List.of(30.0, Double.NaN, 10.0))).containsExactly(10.0, 20.0, 30.0);
    assertThat(BenchRun.spread(List.of(4.2))).containsExactly(4.2, 4.2, 4.2);
    assertThat(BenchRun.spread(List.of(Double.NaN))).isEmpty();
  }

  @Test
  void gitStatusPathsAndTheProbesResultLine() throws Exception {
    assertThat(GitState.changedPaths(" M bench/README.md\n?? bench/src/New.java\nR  a.txt -> b.txt\n"))
        .containsExactly("bench/README.md", "bench/src/New.java", "a.txt -> b.txt");
    assertThat(GitState.changedPaths("")).isEmpty();

    Map<String, Double> phases = StartupStep.parse(List.of("some log line",
        StartupProbe.RESULT_PREFIX + "{\"pipeline_started_s\":1.2,\"first_visible_s\":5.5,\"peak_rss_mb\":380}"), Path.of("probe.out"));
    assertThat(phases).containsEntry("first_visible_s", 5.5).containsEntry("pipeline_started_s", 1.2).containsEntry("peak_rss_mb", 380.0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> StartupStep.parse(List.of("Exception in thread main"), Path.of("probe.out")))
        .hasMessageContaining("no result").hasMessageContaining("Exception in thread main");

    // the demo's own output under load: the last progress line's counts and the summary's peak RSS
    Map<String, Double> demo = StartupStep.demoSummary(List.of("api: http://localhost:0",
        "issued 900 | captured 880 | synced 700 | rejected 30 | visible 650 (300/s) | lag p50 900 ms, max 2000 ms",
        "issued 27000 | captured 26000 | synced 20000 | rejected 900 | visible 9000 (800/s) | lag p50 9000 ms, max 12000 ms", "",
        "first invoice visible 5.4 s after start; peak 1218 visible invoices/s; peak RSS 812 MB (this JVM: the pipeline, the Kafka broker, "
            + "the generator)"), Path.of("demo.out"));
    assertThat(demo).containsEntry("load_issued", 27000.0).containsEntry("load_visible", 9000.0).containsEntry("first_visible_s", 5.4)
        .containsEntry("peak_visible_per_s", 1218.0).containsEntry("peak_rss_mb_after_load", 812.0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> StartupStep.demoSummary(List.of("cannot start embedded Kafka"), Path.of("demo.out")))
        .hasMessageContaining("no summary").hasMessageContaining("cannot start embedded Kafka");
  }
}
