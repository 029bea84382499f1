package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.testkit.TestHttp;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline capturing a tax-control system's own tables through a mapping file: no primary key,
 * a composite identity (fpdm + fphm), text dates, an amount as text and one in fen, codes, a percent
 * rate, no foreign key. An invoice there before the start arrives by the snapshot with its lines
 * (found by the composite join); one issued later is streamed; one a fen off is rejected with the
 * rule's code; a void of an electronic invoice (fpzt 0 -> 1), a header-only update, is captured and
 * rejected on its merits. Reconcile, its repair and trace's source probe read those tables through
 * the same mapping: rows deleted or changed behind the pipeline's back are found and healed, and an
 * invoice committed there but not captured is NOT_CAPTURED.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MappedCaptureIT {

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Map<String, String> cfg;
  static Path config;
  static Pipeline pipeline;
  static String day;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    day = LocalDate.now(ZoneId.of("Asia/Shanghai")).format(DateTimeFormatter.BASIC_ISO_DATE);
    Path mapping = stack.installPinyin(); // skj.fp_kj, skj.fp_mx (REPLICA IDENTITY FULL: no primary key) and pinyin.yaml
    for (int n = 201; n <= 203; n++) {
      issue("26442000000000000" + n, "1130.00"); // there before ingest starts: the snapshot reads them, in one batch
    }
    cfg = stack.config();
    cfg.put("ingest.mapping.file", mapping.toString());
    pipeline = stack.startPipeline(cfg);
    config = stack.writeConfig(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** One invoice as the tax-control system writes it: header and line in one transaction, 1,000.00 + 130.00 tax in fen. */
  static void issue(String number, String grandTotal) throws Exception {
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("INSERT INTO skj.fp_kj VALUES ('', '" + number + "', '82', '" + day + "', '" + day + "093000', '91440300MA5ETUPW89', "
          + "'深圳市示例科技有限公司', '91310000MA1FL4XQ3A', '上海某某贸易有限公司', '1,000.00', 13000, " + grandTotal + ", '0', '0', NULL, NULL, NULL)");
      s.execute("INSERT INTO skj.fp_mx VALUES ('', '" + number + "', 1, '*信息技术服务*软件维护', NULL, '次', 1, 1000, 1000.00, '13%', 130.00, "
          + "'3040201010000000000')");
      c.commit();
    }
  }


  @Test
  @Order(1)
  void capturesTheCustomersOwnTablesThroughTheMapping() throws Exception {
    // the snapshot: every invoice's line found by the composite join (fpdm, fphm)
    await().atMost(Duration.ofMinutes(2)).until(() -> "3".equals(stack.store("SELECT count(*) FROM invoice WHERE id LIKE '2644200000000000020_'")));
    assertThat(stack.store("SELECT count(*) FROM invoice_line WHERE invoice_id LIKE '2644200000000000020_'")).isEqualTo("3");
    assertThat(stack.store("SELECT total_tax || '/' || total_amount || '/' || issue_date FROM invoice WHERE id = '26442000000000000201'"))
        .as("fen, text with separators, a text date").isEqualTo("130.00/1000.00/" + LocalDate.parse(day, DateTimeFormatter.BASIC_ISO_DATE));
    assertThat(stack.store("SELECT tax_rate FROM invoice_line WHERE invoice_id = '26442000000000000201'")).isEqualTo("0.1300");

    // streamed: a valid one visible, one a fen off rejected with the rule's code
    issue("26442000000000000212", "1130.00");
    issue("26442000000000000213", "1130.01");
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT invoice_type FROM invoice WHERE id = '26442000000000000212'") != null);
    assertThat(stack.store("SELECT invoice_type || '/' || status FROM invoice WHERE id = '26442000000000000212'")).isEqualTo("DIGITAL_GENERAL/ISSUED");
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000213'") != null);
    assertThat(stack.store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000213'")).contains("GRAND_TOTAL_MISMATCH");

    // a value the mapping cannot read (a thirteenth month in kprq): rejected with the mapping's own reason, naming column and value
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("INSERT INTO skj.fp_kj (fpdm, fphm, fplx, kprq, kpsj, xfsh, xfmc, gfsh, gfmc, hjje, hjse, jshj, kplx, fpzt) VALUES ('', "
          + "'26442000000000000214', '82', '20261301', '" + day + "093000', '91440300MA5ETUPW89', '深圳市示例科技有限公司', "
          + "'91310000MA1FL4XQ3A', '上海某某贸易有限公司', '1,000.00', 13000, 1130.00, '0', '0')");
      s.execute("INSERT INTO skj.fp_mx VALUES ('', '26442000000000000214', 1, '*信息技术服务*软件维护', NULL, '次', 1, 1000, 1000.00, '13%', "
          + "130.00, '3040201010000000000')");
      c.commit();
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000214'") != null);
    assertThat(stack.store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000214'")).startsWith("MAPPING_VALUE");
    assertThat(stack.store("SELECT violations::text FROM invoice_rejection WHERE invoice_id = '26442000000000000214'"))
        .contains("invoice.issueDate", "column kprq = '20261301'", "yyyyMMdd");

    // voided there (fpzt 0 -> 1), a header-only update: captured through the mapping and judged on its merits, an electronic
    // invoice is never voided (only red-flushed), so the change is rejected and the visible version stays, with its line
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute("UPDATE skj.fp_kj SET fpzt = '1', gxsj = now() WHERE fphm = '26442000000000000212'");
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000212'") != null);
    assertThat(stack.store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000212'")).contains("ELECTRONIC_VOID_NOT_ALLOWED");
    assertThat(stack.store("SELECT version || '/' || status FROM invoice WHERE id = '26442000000000000212'")).isEqualTo("1/ISSUED");
    assertThat(stack.store("SELECT count(*) FROM invoice_line WHERE invoice_id = '26442000000000000212'")).isEqualTo("1");
  }

  @Test
  @Order(2)
  void reconcileRepairAndTraceReadTheCustomersTablesThroughTheMapping() throws Exception {
    for (int n = 301; n <= 305; n++) {
      issue("26442000000000000" + n, "1130.00");
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> "5".equals(stack.store("SELECT count(*) FROM invoice WHERE id LIKE '2644200000000000030_'")));
    // behind the pipeline's back: two invoices deleted from the store, one's amount changed
    try (Connection c = stack.pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute("DELETE FROM invoice_line WHERE invoice_id IN ('26442000000000000301', '26442000000000000302')");
      s.execute("DELETE FROM invoice WHERE id IN ('26442000000000000301', '26442000000000000302')");
      s.execute("UPDATE invoice_line SET amount = 999.00 WHERE invoice_id = '26442000000000000303'");
    }
    // reconcile computes the checksums inside the issuing database through the mapping, and finds exactly those
    Cli.Result found = Cli.run("reconcile", "--config", config.toString(), "--output", "json");
    assertThat(found.exit()).as(found.text()).isEqualTo(1);
    Map<String, Set<String>> classes = byClass(found.json());
    assertThat(classes.get("MISSING")).as(found.text()).containsExactlyInAnyOrder("26442000000000000301", "26442000000000000302");
    assertThat(classes.get("STALE")).as(found.text()).containsExactly("26442000000000000303");
    assertThat(found.json().get("sourceInvoices").asInt()).as("every pinyin invoice, by its composite id").isEqualTo(11);

    // --repair re-reads them through an incremental snapshot of skj.fp_kj whose condition is the mapping's id
    Cli.Result repaired = Cli.run("reconcile", "--config", config.toString(), "--repair", "--output", "json", "--timeout", "120");
    assertThat(repaired.exit()).as(repaired.text()).isZero();
    assertThat(byClass(repaired.json())).doesNotContainKeys("MISSING", "STALE", "EXTRA");
    assertThat(stack.store("SELECT count(*) FROM invoice WHERE id IN ('26442000000000000301', '26442000000000000302')")).isEqualTo("2");
    assertThat(stack.store("SELECT amount FROM invoice_line WHERE invoice_id = '26442000000000000303'")).isEqualTo("1000.00");
    assertThat(stack.store("SELECT count(*) FROM invoice_line WHERE invoice_id IN ('26442000000000000301', '26442000000000000302')"))
        .as("the re-read headers' lines, loaded by the composite join").isEqualTo("2");

    // trace's source probe asks the customer's table through the mapping: an invoice committed there but not captured
    pipeline.stopIngest();
    try {
      issue("26442000000000000309", "1130.00");
      HttpResponse<String> r = TestHttp.get(pipeline.api().port(), "/api/v1/invoices/26442000000000000309/trace");
      JsonNode t = json.readTree(r.body());
      assertThat(t.get("outcome").asText()).as(r.body()).isEqualTo("NOT_CAPTURED");
      assertThat(t.get("source").get("present").asBoolean()).isTrue();
      Cli.Result cli = Cli.run("trace", "--config", config.toString(), "--number", "26442000000000000309", "--output", "json");
      assertThat(cli.json().get("outcome").asText()).as(cli.text()).isEqualTo("NOT_CAPTURED");
    } finally {
      pipeline.startIngest();
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT id FROM invoice WHERE id = '26442000000000000309'") != null);
  }



  static Map<String, Set<String>> byClass(JsonNode report) {
    Map<String, Set<String>> out = new HashMap<>();
    report.get("differences").forEach(d -> out.computeIfAbsent(d.get("class").asText(), k -> new TreeSet<>()).add(d.get("invoiceId").asText()));
    return out;
  }
}
