package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.testkit.IssuingInvoice;
import io.invoicesync.testkit.TestHttp;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two issuing sources into one store, in one process: our reference tables (source {@code ref}) and a
 * tax-control system's pinyin tables through their mapping (source {@code py}), each with its own
 * Debezium engine, slot, publication and offsets. Each source's invoices are visible, with the
 * source in their audit entries; the same invoice (one 数电票 number) in both is one invoice, the
 * second arrival deduplicated; other content for it from the second source is a SOURCE_CONFLICT
 * naming both; reconcile compares each source with the invoices it delivered; one source's ingest
 * stopped and restarted resumes at its own positions while the other flows on.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoSourcesIT {

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Pipeline pipeline;
  static Path config;
  static final ObjectMapper json = new ObjectMapper();
  static final LocalDateTime ISSUED = IssuingDay.today().atTime(9, 30);

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    Path mapping = stack.installPinyin();
    Map<String, String> cfg = stack.config();
    cfg.remove("api.source.jdbc.url"); // the API's probe asks one database: with several sources, 'trace --source' does
    cfg.put("sources", "ref,py");
    cfg.put("sources.py.mapping.file", mapping.toString());
    pipeline = stack.startPipeline(cfg);
    config = stack.writeConfig(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** A 数电票 in our reference tables: 1,000.00 + 130.00, one line at 13%. */
  static void issueInReference(String number) throws Exception {
    try (Connection c = stack.pg.connect("issuing")) {
      c.setAutoCommit(false);
      IssuingInvoice.digital(number, number).issued(ISSUED).seller(IssuingInvoice.SELLER_NAME, IssuingInvoice.SELLER_TAX_ID)
          .buyer(IssuingInvoice.BUYER_NAME, IssuingInvoice.BUYER_TAX_ID)
          .totals(new BigDecimal("1000.00"), new BigDecimal("130.00"), new BigDecimal("1130.00"))
          .line(IssuingInvoice.Line.service(BigDecimal.ONE, new BigDecimal("1000"), new BigDecimal("1000.00"), new BigDecimal("130.00")))
          .insert(c);
      c.commit();
    }
  }

  /** The same invoice as the tax-control system writes it (its id by the mapping: the number, the code being empty). */
  static void issueInPinyin(String number, String buyerName) throws Exception {
    String day = ISSUED.format(DateTimeFormatter.BASIC_ISO_DATE);
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("INSERT INTO skj.fp_kj (fpdm, fphm, fplx, kprq, kpsj, xfsh, xfmc, gfsh, gfmc, hjje, hjse, jshj, kplx, fpzt) VALUES ('', '"
          + number + "', '82', '" + day + "', '" + day + "093000', '" + IssuingInvoice.SELLER_TAX_ID + "', '" + IssuingInvoice.SELLER_NAME
          + "', '" + IssuingInvoice.BUYER_TAX_ID + "', '" + buyerName + "', '1,000.00', 13000, 1130.00, '0', '0')");
      s.execute("INSERT INTO skj.fp_mx VALUES ('', '" + number + "', 1, '" + IssuingInvoice.Line.SERVICE_ITEM + "', NULL, '"
          + IssuingInvoice.Line.SERVICE_UNIT + "', 1, 1000, 1000.00, '13%', 130.00, '" + IssuingInvoice.Line.SERVICE_TAX_CODE + "')");
      c.commit();
    }
  }





  @Test
  @Order(1)
  void eachSourcesInvoicesAreVisibleWithTheirSourceInTheAuditTrail() throws Exception {
    String ref = IssuingDay.digitalNumber(4_001);
    String py = IssuingDay.digitalNumber(4_002);
    issueInReference(ref);
    issueInPinyin(py, IssuingInvoice.BUYER_NAME);

    await().atMost(Duration.ofMinutes(1)).until(() -> "2".equals(stack.store("SELECT count(*) FROM invoice WHERE id IN ('" + ref + "', '" + py + "')")));
    assertThat(stack.storeColumn("SELECT DISTINCT source_name FROM invoice_event WHERE invoice_id = '" + ref + "'")).containsExactly("ref");
    assertThat(stack.storeColumn("SELECT DISTINCT source_name FROM invoice_event WHERE invoice_id = '" + py + "'")).containsExactly("py");
    assertThat(pipeline.ingests().keySet()).containsExactly("ref", "py");
    assertThat(pipeline.health().keySet()).contains("ingest:ref", "ingest:py");
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")) {
      rs.next();
      assertThat(rs.getString(1)).as("a slot per source").isEqualTo("invoice_sync_py,invoice_sync_ref");
    }
  }

  @Test
  @Order(2)
  void theSameInvoiceFromBothSourcesIsOneInvoiceAndOtherContentIsAConflictNamingBoth() throws Exception {
    String same = IssuingDay.digitalNumber(4_101);
    issueInReference(same);
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT version FROM invoice WHERE id = '" + same + "'") != null);
    issueInPinyin(same, IssuingInvoice.BUYER_NAME); // a mirror of the same invoice

    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT detail FROM invoice_event WHERE invoice_id = '" + same
        + "' AND source_name = 'py' AND event = 'DEDUPLICATED'") != null);
    assertThat(stack.store("SELECT detail FROM invoice_event WHERE invoice_id = '" + same + "' AND source_name = 'py' AND event = 'DEDUPLICATED'"))
        .isEqualTo("SAME_AS_SOURCE 'ref'");
    assertThat(stack.store("SELECT version FROM invoice WHERE id = '" + same + "'")).as("one invoice, one version").isEqualTo("1");
    // the trace's history shows both sources
    JsonNode trace = json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/invoices/" + same + "/trace").body());
    List<String> sources = new ArrayList<>();
    trace.get("history").forEach(e -> sources.add(e.path("source").asText()));
    assertThat(sources).contains("ref", "py");

    String conflict = IssuingDay.digitalNumber(4_102);
    issueInReference(conflict);
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT version FROM invoice WHERE id = '" + conflict + "'") != null);
    issueInPinyin(conflict, "另一家购买方有限公司"); // the other source has another buyer for the same invoice

    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT codes FROM invoice_rejection WHERE invoice_id = '" + conflict + "'") != null);
    assertThat(stack.store("SELECT codes || '/' || source_name FROM invoice_rejection WHERE invoice_id = '" + conflict + "'"))
        .isEqualTo("SOURCE_CONFLICT/py");
    assertThat(stack.store("SELECT violations::text FROM invoice_rejection WHERE invoice_id = '" + conflict + "'")).contains("'ref'", "'py'");
    assertThat(stack.store("SELECT buyer_name FROM invoice WHERE id = '" + conflict + "'")).as("the first source's version stands")
        .isEqualTo(IssuingInvoice.BUYER_NAME);
  }

  @Test
  @Order(3)
  void reconcileComparesEachSourceWithTheInvoicesItDeliveredAndCommandsAskWhichSource() throws Exception {
    Cli.Result without = Cli.run("reconcile", "--config", config.toString());
    assertThat(without.exit()).isEqualTo(2);
    assertThat(without.err()).contains("several issuing sources [ref, py]", "--source");

    for (String source : List.of("ref", "py")) {
      Cli.Result r = Cli.run("reconcile", "--config", config.toString(), "--source", source, "--output", "json");
      JsonNode report = json.readTree(r.out());
      assertThat(report.get("counts").get("MISSING").asInt()).as(source + ": " + r.out() + r.err()).isZero();
      assertThat(report.get("counts").get("EXTRA").asInt()).as(source + ": the other source's invoices are not extra").isZero();
      assertThat(report.get("counts").get("STALE").asInt()).as(source).isZero();
    }
    // deleted behind the pipeline's back: missing for the source that has it, and only for it
    String lost = IssuingDay.digitalNumber(4_002); // issued in py only
    try (Connection c = stack.pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute("DELETE FROM invoice_line WHERE invoice_id = '" + lost + "'");
      s.execute("DELETE FROM invoice WHERE id = '" + lost + "'");
    }
    JsonNode py = json.readTree(Cli.run("reconcile", "--config", config.toString(), "--source", "py", "--output", "json").out());
    assertThat(py.get("differences").findValuesAsText("invoiceId")).contains(lost);
    JsonNode ref = json.readTree(Cli.run("reconcile", "--config", config.toString(), "--source", "ref", "--output", "json").out());
    assertThat(ref.get("counts").get("MISSING").asInt()).isZero();
    Cli.Result repaired = Cli.run("reconcile", "--config", config.toString(), "--source", "py", "--repair", "--output", "json", "--timeout", "120");
    assertThat(repaired.exit()).as(repaired.out() + repaired.err()).isZero();
    assertThat(stack.store("SELECT count(*) FROM invoice WHERE id = '" + lost + "'")).isEqualTo("1");
  }

  @Test
  @Order(4)
  void oneSourcesIngestStoppedAndRestartedResumesAtItsOwnPositionsWhileTheOtherFlows() throws Exception {
    pipeline.stopIngest("py");
    String whileDown = IssuingDay.digitalNumber(4_201);
    String other = IssuingDay.digitalNumber(4_202);
    issueInPinyin(whileDown, IssuingInvoice.BUYER_NAME);
    issueInReference(other);
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT id FROM invoice WHERE id = '" + other + "'") != null);
    assertThat(stack.store("SELECT id FROM invoice WHERE id = '" + whileDown + "'")).as("not captured while its source's ingest is down").isNull();

    pipeline.startIngest("py");
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT id FROM invoice WHERE id = '" + whileDown + "'") != null);
    assertThat(stack.store("SELECT version FROM invoice WHERE id = '" + whileDown + "'")).isEqualTo("1");
    assertThat(stack.storeColumn("SELECT DISTINCT source_name FROM invoice_event WHERE invoice_id = '" + whileDown + "'")).containsExactly("py");
  }
}
