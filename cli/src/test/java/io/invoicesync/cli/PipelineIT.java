package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.invoicesync.schemas.Violation;
import io.invoicesync.testkit.IssuingInvoice;
import io.invoicesync.testkit.KafkaTestSupport;
import io.invoicesync.testkit.TestHttp;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on real parts: embedded PostgreSQL with logical decoding, the real Debezium
 * PostgreSQL connector, an in-process KRaft broker, Kafka Streams with exactly_once_v2, the
 * projector and the query API.
 */
@Timeout(600)
class PipelineIT {

  static final int INVOICES = 1_000;

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;
  static Pipeline pipeline;
  static final SerdeFactory serdes = SerdeFactory.registryLess();

  @BeforeAll
  static void start() {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
    Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams"));
    cfg.put("api.port", "0");
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
  void shouldLoseNothingAndApplyNoVersionTwiceWhenIngestRestartsUnderLoad() throws Exception {
    // Given a generator issuing invoices (valid of both generations, ~5% invalid, status changes, red-letter)
    InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "it-", 7, true);
    assertLosesNothingAcrossAnIngestRestart(pipeline, pg, kafka, generator, "issuing.invoice", "issuing.invoice_line");
  }

  /**
   * The end-to-end check, on whichever issuing tables {@code generator} writes ({@code headers} and
   * {@code lines}: relations with the reference columns, the tables themselves or a mapping's SQL):
   * 1,000 invoices at 400/s with ingest stopped half way and started again; every valid one visible
   * at its latest state with all its lines, every invalid one rejected with rule codes and never
   * visible, no version applied twice.
   */
  static void assertLosesNothingAcrossAnIngestRestart(Pipeline pipeline, EmbeddedPostgresServer pg, EmbeddedKafkaBroker kafka,
                                                      InvoiceGenerator generator, String headers, String lines) throws Exception {
    AtomicBoolean enough = new AtomicBoolean();
    List<Thread> workers = generator.startAtRate(400, 1, () -> generator.issuedCount() >= INVOICES || enough.get());

    // When ingest is stopped half way, and started again while invoices keep being issued
    await().atMost(Duration.ofMinutes(2)).until(() -> generator.issuedCount() >= INVOICES / 2);
    pipeline.stopIngest();
    await().atMost(Duration.ofMinutes(2)).until(() -> generator.issuedCount() >= INVOICES * 7 / 10);
    long restartedAt = System.currentTimeMillis();
    pipeline.startIngest();
    for (Thread w : workers) {
      w.join(Duration.ofMinutes(3).toMillis());
    }
    enough.set(true);
    assertThat(generator.failureCount()).isZero();
    assertThat(generator.issuedCount()).isGreaterThanOrEqualTo(INVOICES);

    Map<String, InvoiceGenerator.Issued> ledger = generator.ledger();
    Set<String> valid = new HashSet<>();
    Set<String> invalid = new HashSet<>();
    ledger.values().forEach(i -> (i.valid() ? valid : invalid).add(i.id()));
    assertThat(invalid).as("the mix includes invalid invoices").isNotEmpty();
    assertThat(ledger.values()).as("the mix includes red-letter invoices").anyMatch(InvoiceGenerator.Issued::red);
    Map<String, String> issuing = snapshot(pg, "issuing", headers, lines);
    assertThat(issuing.keySet()).as("the source holds every invoice issued").containsAll(ledger.keySet());

    // Then every valid invoice becomes visible with all its lines and its latest status
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Map<String, String> store = snapshot(pg, "querystore", "invoice", "invoice_line");
      for (String id : valid) {
        assertThat(store.get(id)).as("query store row of " + id).isEqualTo(issuing.get(id));
      }
    });
    // and the restarted ingest reports its own progress, not the stopped one's
    assertThat(pipeline.metrics().get("invoicesync.ingest.last.commit.ts").gauge().value())
        .as("last commit time after the restart").isGreaterThanOrEqualTo(restartedAt);
    // and every invalid one is in invoices.rejected with a rule code, and never visible
    Map<String, List<Violation>> rejected = new HashMap<>();
    await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
      rejected.clear();
      KafkaTestSupport.readToEnd(kafka.bootstrapServers(), Topics.REJECTED.name(), serdes.keySerde().deserializer(),
          serdes.valueSerde(InvoiceRejected.class).deserializer()).forEach(r -> rejected.put(r.key(), r.value().getViolations()));
      assertThat(rejected.keySet()).containsAll(invalid);
    });
    invalid.forEach(id -> assertThat(rejected.get(id)).as("violations of " + id).isNotEmpty()
        .allSatisfy(v -> assertThat(v.getCode()).matches("[A-Z][A-Z_]+")));
    assertThat(rejected.keySet()).as("only invalid invoices are rejected").isSubsetOf(invalid);
    Map<String, String> store = snapshot(pg, "querystore", "invoice", "invoice_line");
    assertThat(store.keySet()).doesNotContainAnyElementsOf(invalid);

    // and no version of any invoice was applied twice: versions on invoices.synced run 1, 2, 3... per invoice
    SyncedVersions.assertEachAppliedOnceInOrder(kafka.bootstrapServers(), valid);
  }

  @Test
  void shouldServeAnInvoiceInsertedByHandWithItsLines() throws Exception {
    // Given the README's hand-issued invoice (two lines, one transaction)
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute(readmeSql());
    }
    // Then it appears at the API with both lines
    await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
      HttpResponse<String> r = TestHttp.get(pipeline.api().port(), "/api/v1/invoices/hand-1");
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode body = new ObjectMapper().readTree(r.body());
      assertThat(body.get("lines")).hasSize(2);
      assertThat(body.get("grandTotal").decimalValue()).isEqualByComparingTo("1130.00");
    });
  }

  @Test
  void shouldCarryAnInvoiceLargerThanKafkasDefaultRecordSizeWhole() throws Exception {
    // Given one valid invoice of 20,000 lines (about 1.9 MB as a change: Kafka's default max.request.size is 1 MB), and a small one after it
    LocalDate today = IssuingDay.today();
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      IssuingInvoice.digital("big-1", IssuingDay.digitalNumber(901)).issued(today.atTime(10, 0))
          .totals(new BigDecimal("20000.00"), new BigDecimal("2600.00"), new BigDecimal("22600.00")).insert(c);
      // its lines in one statement, as 20,000 single inserts would take a while
      s.execute("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, quantity, unit_price, amount, tax_rate, tax_amount, "
          + "tax_code) SELECT 'big-1', n, '*信息技术服务*软件维护', '次', 1, 1, 1.00, 0.13, 0.13, '3040201010000000000' "
          + "FROM generate_series(1, 20000) AS n");
      c.commit();
      c.setAutoCommit(true);
      s.execute(readmeSql().replace("hand-1", "after-big-1").replace("'" + IssuingDay.digitalNumber(777) + "'",
          "'" + IssuingDay.digitalNumber(902) + "'"));
    }

    // Then it becomes visible whole, every line, and the invoice issued after it is not held up behind it
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Map<String, String> store = snapshot(pg, "querystore", "invoice", "invoice_line");
      assertThat(store.get("big-1")).isEqualTo("ISSUED|22600.00|20000|20000.00");
      assertThat(store.get("after-big-1")).as("the invoice issued after the big one").isNotNull();
    });
  }

  /**
   * The SQL block of the README, so the README stays true; its issue day (and the year digits of its
   * number) moved to today, so the 5-year age rule never ages the README's example out of this test.
   */
  static String readmeSql() throws Exception {
    String readme = java.nio.file.Files.readString(Path.of("..", "README.md"));
    int start = readme.indexOf("```sql");
    int end = readme.indexOf("```", start + 6);
    String sql = readme.substring(start + 6, end);
    assertThat(sql).as("the README's example as this test knows it").contains("2026-11-24", "'26442000000000000777'");
    return sql.replace("2026-11-24", IssuingDay.today().toString())
        .replace("'26442000000000000777'", "'" + IssuingDay.digitalNumber(777) + "'");
  }

  /** id -> "status|grand_total|line count|Σ line amount" for every invoice in one database. */
  static Map<String, String> snapshot(EmbeddedPostgresServer pg, String db, String headers, String lines) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (Connection c = pg.connect(db); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT h.id, h.status || '|' || h.grand_total || '|' || count(l.line_no) || '|' || coalesce(sum(l.amount), 0) "
             + "FROM " + headers + " h LEFT JOIN " + lines + " l ON l.invoice_id = h.id GROUP BY h.id, h.status, h.grand_total")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }
}
