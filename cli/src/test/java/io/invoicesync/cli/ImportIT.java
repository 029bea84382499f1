package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.generator.PlatformFiles;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code invoice-sync import}: the tax platform's own files through the running pipeline. The export
 * workbook lists an invoice the issuing database already delivered (hand-1: the same invoice,
 * deduplicated, its trace showing both witnesses), an invoice received from a supplier that no issuing
 * database of ours has (进项: visible from the file alone, with its lines from the detail sheet) and a
 * broken row (named, the rest imported); a 数电票 XML, an OFD made by ofdrw and a detail CSV bring three
 * more, and a summary CSV one that cannot be visible without its lines. Importing the same files again
 * changes nothing.
 */
class ImportIT {

  static final String OURS = "91440300MA5ETUPW89";
  static final String SUPPLIER = "91310000MA1FL4XQ3A";

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Path config;
  static String hand1;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    stack.startPipeline(stack.config());
    config = stack.writeConfig(stack.config());
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute(PipelineIT.readmeSql());
    }
    hand1 = IssuingDay.digitalNumber(777);
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT version FROM invoice WHERE id = 'hand-1'") != null);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static PlatformFiles.Invoice received(long serial, String status) {
    BigDecimal amount = new BigDecimal("2000.00");
    BigDecimal tax = new BigDecimal("260.00");
    return new PlatformFiles.Invoice(null, IssuingDay.digitalNumber(serial), "数电票（增值税专用发票）",
        LocalDateTime.of(IssuingDay.today(), java.time.LocalTime.of(9, 30)), SUPPLIER, "上海某某贸易有限公司", OURS, "深圳市示例科技有限公司",
        amount, tax, amount.add(tax), status, true, "进项 " + serial, List.of(
            new PlatformFiles.Line("1090101990000000000", "*电子元件*传感器", "S-1", "个", new BigDecimal("10"), new BigDecimal("150"),
                new BigDecimal("1500.00"), "13%", new BigDecimal("195.00")),
            new PlatformFiles.Line("1090101990000000000", "*电子元件*电缆", null, "米", new BigDecimal("50"), new BigDecimal("10"),
                new BigDecimal("500.00"), "13%", new BigDecimal("65.00"))));
  }

  /** hand-1 as the platform's export lists it: no lines in the summary, and none in the detail sheet either. */
  static PlatformFiles.Invoice hand1AsFiled() {
    return new PlatformFiles.Invoice(null, hand1, "数电票（普通发票）", LocalDateTime.of(IssuingDay.today(), java.time.LocalTime.of(10, 0)),
        OURS, "深圳市示例科技有限公司", SUPPLIER, "上海某某贸易有限公司", new BigDecimal("1000.00"), new BigDecimal("130.00"),
        new BigDecimal("1130.00"), "正常", true, null, List.of());
  }

  @Test
  void importsEachFormatDeduplicatesWhatTheDatabaseDeliveredAndNamesTheBrokenRow() throws Exception {
    Path files = Files.createDirectories(dir.resolve("platform"));
    Path workbook = files.resolve("全量发票查询导出_202611.xlsx");
    List<PlatformFiles.Invoice> rows = new ArrayList<>(List.of(hand1AsFiled(), received(9_001, "正常")));
    rows.add(received(9_002, "正常").withTotals(new BigDecimal("2000.00"), new BigDecimal("260.00"), new BigDecimal("2260.00")));
    PlatformFiles.workbook(workbook, rows);
    // the third row broken by hand, as a clerk's edit leaves it: its grand total is not a number
    PlatformFiles.editCell(workbook, "信息汇总表", 4, 11, "2,26O.00");
    Files.writeString(files.resolve("dzfp_" + IssuingDay.digitalNumber(9_003) + ".xml"),
        PlatformFiles.einvoiceXml(received(9_003, "正常"), null, null));
    PlatformFiles.csv(files.resolve("export.csv"), List.of(received(9_004, "正常")));
    PlatformFiles.linesCsv(files.resolve("明细导出.csv"), List.of(received(9_005, "正常")));
    // an OFD invoice as a real OFD writer makes it: a page and the invoice's XML attached
    Path xml = Files.writeString(dir.resolve("original_invoice.xml"), PlatformFiles.einvoiceXml(received(9_006, "正常"), null, null));
    try (org.ofdrw.layout.OFDDoc ofd = new org.ofdrw.layout.OFDDoc(files.resolve("dzfp_" + IssuingDay.digitalNumber(9_006) + ".ofd"))) {
      ofd.add(new org.ofdrw.layout.element.Paragraph("e-invoice " + IssuingDay.digitalNumber(9_006)));
      ofd.addAttachment(new org.ofdrw.layout.edit.Attachment("original_invoice", xml));
    }

    Cli.Result r = Cli.run("import", "--config", config.toString(), files.toString(), "--output", "json", "--wait", "120");

    assertThat(r.exit()).as("a row could not be read: " + r.text()).isEqualTo(1);
    JsonNode report = r.json();
    assertThat(report.get("files")).hasSize(5);
    assertThat(report.get("published").asInt()).isEqualTo(6);
    JsonNode problem = report.get("problems").get(0);
    assertThat(problem.get("sheet").asText()).isEqualTo("信息汇总表");
    assertThat(problem.get("row").asInt()).isEqualTo(5); // title, headers, hand-1, 9001, then the broken one
    assertThat(problem.get("reason").asText()).contains("价税合计", "2,26O.00");
    JsonNode decisions = report.get("decisions");
    // the summary CSV's invoice has no lines and no source delivered them: rejected, asking for the detail sheet; the
    // detail CSV's and the OFD's are visible
    assertThat(decisions.get("applied").asInt()).as(r.text()).isEqualTo(4);
    assertThat(decisions.get("deduplicated").asInt()).as("hand-1: the database delivered it").isEqualTo(1);
    assertThat(decisions.get("rejected").asInt()).isEqualTo(1);
    assertThat(decisions.get("rejectedByRule").get("LINES_NOT_CAPTURED").asInt()).isEqualTo(1);
    assertThat(decisions.get("pending").asInt()).isZero();

    // the received invoice is visible from the file alone, under its national number, with the detail sheet's lines
    String r9001 = IssuingDay.digitalNumber(9_001);
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT version FROM invoice WHERE id = '" + r9001 + "'") != null);
    assertThat(stack.store("SELECT count(*) FROM invoice_line WHERE invoice_id = '" + r9001 + "'")).isEqualTo("2");
    assertThat(stack.store("SELECT grand_total FROM invoice WHERE id = '" + IssuingDay.digitalNumber(9_003) + "'")).isEqualTo("2260.00");
    assertThat(stack.store("SELECT count(*) FROM invoice_line WHERE invoice_id IN ('" + IssuingDay.digitalNumber(9_005) + "', '"
        + IssuingDay.digitalNumber(9_006) + "')")).as("the detail CSV's and the OFD's invoices, with their lines").isEqualTo("4");
    assertThat(stack.store("SELECT version FROM invoice WHERE id = 'hand-1'")).as("not a new version").isEqualTo("1");

    // the trace names the file, sheet and row
    Cli.Result trace = Cli.run("trace", "--config", config.toString(), r9001);
    assertThat(trace.exit()).as(trace.text()).isZero();
    assertThat(trace.out()).contains("imported from 全量发票查询导出_202611.xlsx, sheet 信息汇总表, row 4");
    // and hand-1's shows both witnesses: the issuing database's change and the file's row, deduplicated
    JsonNode hand = Cli.run("trace", "--config", config.toString(), "hand-1", "--output", "json").json();
    List<String> witnesses = new ArrayList<>();
    hand.get("history").forEach(e -> witnesses.add(e.get("event").asText() + " " + (e.has("file") ? e.get("file").get("row").asInt() : "db")));
    assertThat(witnesses).contains("APPLIED db", "DEDUPLICATED 3");

    // the same files again change nothing: every invoice deduplicated or rejected again, no new version
    Cli.Result again = Cli.run("import", "--config", config.toString(), files.toString(), "--output", "json", "--wait", "120");
    JsonNode d2 = again.json().get("decisions");
    assertThat(d2.get("applied").asInt()).as(again.text()).isZero();
    assertThat(d2.get("deduplicated").asInt()).isEqualTo(5);
    assertThat(stack.store("SELECT max(version) FROM invoice")).isEqualTo("1");

    // reconcile against the issuing database: the invoices only the files brought are explained (IMPORTED), not EXTRA
    Cli.Result rec = Cli.run("reconcile", "--config", config.toString(), "--output", "json");
    assertThat(rec.exit()).as(rec.text()).isZero();
    assertThat(rec.json().get("counts").get("IMPORTED").asInt()).isEqualTo(4);
    assertThat(rec.json().get("counts").get("EXTRA").asInt()).isZero();

    // a dry run reads and reports, and sends nothing
    Cli.Result dry = Cli.run("import", "--dry-run", workbook.toString());
    assertThat(dry.exit()).isEqualTo(1);
    assertThat(dry.out()).contains("(dry run)", "PROBLEM 全量发票查询导出_202611.xlsx, sheet 信息汇总表, row 5: 价税合计");
  }
}
