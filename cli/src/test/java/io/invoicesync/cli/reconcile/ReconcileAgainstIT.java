package io.invoicesync.cli.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.invoicesync.cli.Cli;
import io.invoicesync.cli.EmbeddedStack;
import io.invoicesync.generator.ExistingInvoices;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.generator.PlatformFiles;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.xssf.usermodel.XSSFWorkbook;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reconcile --against}: the tax platform's export as the authority. The store holds 1,003
 * invoices (through the pipeline); the export lists 1,000 of them, 5 shown differently (one 已红冲 in
 * the export and ISSUED in the store), and 7 the store lacks; exactly those 15 are reported, in json
 * and in a workbook with a sheet per class, and --import-missing brings the 7 in.
 */
class ReconcileAgainstIT {

  static final int STORED = 1_003;

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Path config;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    try (Connection c = stack.pg.connect("issuing")) {
      c.setAutoCommit(false);
      ExistingInvoices.insert(c, "inv-", 100_000, STORED, 3);
      c.commit();
    }
    stack.startPipeline(stack.config());
    config = stack.writeConfig(stack.config());
    await().atMost(Duration.ofMinutes(2)).until(() -> Integer.parseInt(stack.store("SELECT count(*) FROM invoice")) == STORED);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** The store's invoices as the platform's export lists them (without lines: the summary). */
  static List<PlatformFiles.Invoice> asListed() throws Exception {
    List<PlatformFiles.Invoice> out = new ArrayList<>();
    try (Connection c = stack.pg.connect("querystore"); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT invoice_number, issued_at, seller_tax_id, seller_name, buyer_tax_id, buyer_name, total_amount, "
             + "total_tax, grand_total FROM invoice ORDER BY id")) {
      while (rs.next()) {
        out.add(new PlatformFiles.Invoice(null, rs.getString(1), "数电票（普通发票）", rs.getTimestamp(2).toLocalDateTime(), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getString(6), rs.getBigDecimal(7), rs.getBigDecimal(8), rs.getBigDecimal(9), "正常", true, null,
            List.of()));
      }
    }
    return out;
  }

  /** An invoice the issuing database never had (a supplier's, or lost), with its lines, so it can be imported. */
  static PlatformFiles.Invoice unknown(int i) {
    return new PlatformFiles.Invoice(null, IssuingDay.digitalNumber(900_000 + i), "数电票（普通发票）", LocalDateTime.of(IssuingDay.today(),
        java.time.LocalTime.of(11, 0)), "91440300MA5ETUPW89", "深圳市示例科技有限公司", "91310000MA1FL4XQ3A", "上海某某贸易有限公司",
        new BigDecimal("100.00"), new BigDecimal("13.00"), new BigDecimal("113.00"), "正常", true, null, List.of(new PlatformFiles.Line(
            "3040201010000000000", "*信息技术服务*软件维护", null, "次", BigDecimal.ONE, new BigDecimal("100"), new BigDecimal("100.00"), "13%",
            new BigDecimal("13.00"))));
  }

  @Test
  void reportsExactlyWhatTheStoreLacksShowsDifferentlyAndHasBesidesThenImportsTheMissing() throws Exception {
    List<PlatformFiles.Invoice> listed = asListed().subList(0, STORED - 3); // the last 3 of the store are not listed: EXTRA
    Map<String, String> changed = new HashMap<>();
    for (int i = 0; i < 5; i++) {
      PlatformFiles.Invoice inv = listed.get(100 * i + 7);
      PlatformFiles.Invoice other = switch (i) {
        case 0 -> inv.withStatus("已红冲");
        case 1 -> inv.withTotals(inv.amount(), inv.tax(), inv.total().add(BigDecimal.ONE));
        case 2 -> inv.withTotals(inv.amount().add(BigDecimal.TEN), inv.tax(), inv.total().add(BigDecimal.TEN));
        case 3 -> new PlatformFiles.Invoice(null, inv.number(), inv.kind(), inv.issuedAt(), inv.sellerTaxId(), inv.sellerName(), inv.buyerTaxId(),
            "另一家购买方有限公司", inv.amount(), inv.tax(), inv.total(), inv.status(), true, null, List.of());
        default -> inv.withStatus("已作废");
      };
      listed.set(100 * i + 7, other);
      changed.put(inv.number(), i == 0 || i == 4 ? "status" : i == 3 ? "buyerName" : i == 1 ? "grandTotal" : "totalAmount");
    }
    // the same buyer name written with full-width brackets and spaces is not a difference
    PlatformFiles.Invoice bracketed = listed.get(50);
    listed.set(50, new PlatformFiles.Invoice(null, bracketed.number(), bracketed.kind(), bracketed.issuedAt(), bracketed.sellerTaxId(),
        bracketed.sellerName(), bracketed.buyerTaxId(), "上海某某贸易 有限公司", bracketed.amount(), bracketed.tax(), bracketed.total(),
        bracketed.status(), true, null, List.of()));
    for (int i = 0; i < 7; i++) {
      listed.add(unknown(i));
    }
    Path export = dir.resolve("全量发票查询导出_202611.xlsx");
    PlatformFiles.workbook(export, listed);

    Cli.Result r = Cli.run("reconcile", "--config", config.toString(), "--against", export.toString(), "--output", "json");

    assertThat(r.exit()).as(r.text()).isEqualTo(1);
    JsonNode report = r.json();
    assertThat(report.get("counts").get("MISSING").asInt()).isEqualTo(7);
    assertThat(report.get("counts").get("STALE").asInt()).isEqualTo(5);
    assertThat(report.get("counts").get("EXTRA").asInt()).isEqualTo(3);
    assertThat(report.get("differences")).hasSize(15);
    for (JsonNode d : report.get("differences")) {
      if (d.get("class").asText().equals("STALE")) {
        assertThat(d.get("differences").get(0).get("field").asText()).as(d.toString()).isEqualTo(changed.get(d.get("invoiceNumber").asText()));
      }
    }
    JsonNode redFlushed = findStale(report, "status", "RED_FLUSHED");
    assertThat(redFlushed.get("store").asText()).isEqualTo("ISSUED");
    JsonNode missing = report.get("differences").get(0);
    assertThat(missing.get("class").asText()).isEqualTo("MISSING");
    assertThat(missing.get("listedAt").asText()).startsWith("全量发票查询导出_202611.xlsx, sheet 信息汇总表, row ");

    // the same report as a workbook a clerk opens: a sheet per class
    Path xlsx = dir.resolve("对账_202611.xlsx");
    Cli.Result w = Cli.run("reconcile", "--config", config.toString(), "--against", export.toString(), "--output", "xlsx", "--out", xlsx.toString());
    assertThat(w.exit()).as(w.text()).isEqualTo(1);
    try (XSSFWorkbook wb = new XSSFWorkbook(Files.newInputStream(xlsx))) {
      assertThat(dataRows(wb.getSheet(AgainstWorkbook.MISSING))).isEqualTo(7);
      assertThat(dataRows(wb.getSheet(AgainstWorkbook.DIFFERENT))).isEqualTo(5);
      assertThat(dataRows(wb.getSheet(AgainstWorkbook.EXTRA))).isEqualTo(3);
      assertThat(wb.getSheet(AgainstWorkbook.SUMMARY).getRow(0).getCell(0).getStringCellValue()).startsWith("对账结果");
      // printed as a clerk prints it: every column on an A4 page's width, the header repeated
      org.apache.poi.xssf.usermodel.XSSFSheet m = wb.getSheet(AgainstWorkbook.MISSING);
      assertThat(m.getFitToPage()).isTrue();
      assertThat(m.getPrintSetup().getFitWidth()).isEqualTo((short) 1);
      assertThat(m.getPrintSetup().getLandscape()).isTrue();
      assertThat(m.getRepeatingRows().formatAsString()).isEqualTo("1:1");
    }
    // kept for a reviewer, and for docs/reconcile's pictures of it (docs/reconcile/render.sh)
    Path kept = Path.of("target", "reconcile-report");
    Files.createDirectories(kept);
    Files.copy(xlsx, kept.resolve(xlsx.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    // and the missing ones are imported in the same run: a second reconciliation finds none missing
    Cli.Result imported = Cli.run("reconcile", "--config", config.toString(), "--against", export.toString(), "--import-missing", "--output",
        "json", "--timeout", "120");
    assertThat(imported.json().get("importedMissing").get("published").asInt()).as(imported.text()).isEqualTo(7);
    assertThat(imported.json().get("importedMissing").get("decisions").get("applied").asInt()).isEqualTo(7);
    JsonNode after = Cli.run("reconcile", "--config", config.toString(), "--against", export.toString(), "--output", "json").json();
    assertThat(after.get("counts").has("MISSING")).as(after.toString()).isFalse();
    assertThat(after.get("counts").get("STALE").asInt()).isEqualTo(5);
  }

  private static JsonNode findStale(JsonNode report, String field, String platform) {
    for (JsonNode d : report.get("differences")) {
      for (JsonNode f : d.get("differences")) {
        if (f.get("field").asText().equals(field) && f.get("platform").asText().equals(platform)) {
          return f;
        }
      }
    }
    throw new AssertionError("no " + field + " " + platform + " in " + report);
  }

  private static int dataRows(Sheet s) {
    return s.getLastRowNum(); // row 0 is the header
  }
}
