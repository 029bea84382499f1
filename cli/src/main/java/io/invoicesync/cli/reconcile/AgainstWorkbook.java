package io.invoicesync.cli.reconcile;

import io.invoicesync.imports.ImportProblem;
import io.invoicesync.outcomes.reconcile.AgainstExport;
import io.invoicesync.outcomes.reconcile.ReconcileClass;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.poi.ss.usermodel.CellStyle;
import org.apache.poi.ss.usermodel.Font;
import org.apache.poi.ss.usermodel.Row;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.xssf.streaming.SXSSFSheet;
import org.apache.poi.xssf.streaming.SXSSFWorkbook;

/**
 * The {@code reconcile --against} report as a workbook a clerk opens: a summary sheet, then a sheet per
 * class (缺失 MISSING, 不一致 STALE, 多出 EXTRA, 已解释 the explained ones), headers in Chinese and English,
 * streamed so a large report costs little memory.
 */
final class AgainstWorkbook {

  static final String SUMMARY = "汇总 Summary";
  static final String MISSING = "缺失 MISSING";
  static final String DIFFERENT = "不一致 STALE";
  static final String EXTRA = "多出 EXTRA";
  static final String EXPLAINED = "已解释 Explained";

  private AgainstWorkbook() {
  }

  static void write(Path file, AgainstExport.Report r, List<ImportProblem> problems) throws IOException {
    try (SXSSFWorkbook wb = new SXSSFWorkbook(500)) {
      CellStyle bold = wb.createCellStyle();
      Font f = wb.createFont();
      f.setBold(true);
      bold.setFont(f);
      Sheet s = wb.createSheet(SUMMARY);
      int n = 0;
      row(s, n++, bold, "对账结果 Reconciliation against the tax platform's export", "");
      row(s, n++, null, "期间 Period", r.scope().from() + " .. " + r.scope().to());
      if (r.scope().seller() != null) {
        row(s, n++, null, "销方 Seller", r.scope().seller());
      }
      if (r.scope().buyer() != null) {
        row(s, n++, null, "购方 Buyer", r.scope().buyer());
      }
      row(s, n++, null, "平台列出 Listed by the platform", Integer.toString(r.listedInScope()));
      row(s, n++, null, "系统显示 Shown by the store", Integer.toString(r.storeInScope()));
      for (ReconcileClass k : ReconcileClass.values()) {
        Integer v = r.counts().get(k);
        if (v != null) {
          row(s, n++, null, label(k), Integer.toString(v));
        }
      }
      row(s, n++, null, "结论 Result", r.alarming() ? "未对平 NOT RECONCILED" : "已对平 reconciled");
      row(s, n++, null, "时间 At", r.startedAt().toString());
      for (ImportProblem p : problems) {
        row(s, n++, null, "无法读取 Unreadable row", p.toString());
      }
      s.setColumnWidth(0, 40 * 256);
      s.setColumnWidth(1, 60 * 256);
      printable(s, false);

      String[] headers = {"发票代码 Code", "发票号码 Number", "开票日期 Issued", "销方识别号 Seller", "购方识别号 Buyer", "平台价税合计 Platform total",
          "系统价税合计 Store total", "系统编号 Store id", "差异 What differs", "平台位置 Listed at", "说明 Explanation"};
      Sheet missing = sheet(wb, MISSING, headers, bold);
      Sheet different = sheet(wb, DIFFERENT, headers, bold);
      Sheet extra = sheet(wb, EXTRA, headers, bold);
      Sheet explained = sheet(wb, EXPLAINED, headers, bold);
      int[] rows = {1, 1, 1, 1};
      for (AgainstExport.Entry e : r.entries()) {
        int i = switch (e.kind()) {
          case MISSING -> 0;
          case STALE -> 1;
          case EXTRA -> 2;
          default -> 3;
        };
        Sheet target = i == 0 ? missing : i == 1 ? different : i == 2 ? extra : explained;
        String diffs = String.join("; ", e.differences().stream().map(d -> d.field() + ": 平台 " + d.platform() + " / 系统 " + d.store()).toList());
        row(target, rows[i]++, null, nz(e.invoiceCode()), nz(e.invoiceNumber()), e.issueDate() == null ? "" : e.issueDate().toString(),
            nz(e.sellerTaxId()), nz(e.buyerTaxId()), e.platformTotal() == null ? "" : e.platformTotal().toPlainString(),
            e.storeTotal() == null ? "" : e.storeTotal().toPlainString(), nz(e.storeId()), diffs, nz(e.listedAt()),
            (i == 3 ? e.kind().name() + ": " : "") + nz(e.explanation()));
      }
      for (Sheet sh : List.of(missing, different, extra, explained)) {
        sh.createFreezePane(0, 1);
        for (int c = 0; c < headers.length; c++) {
          sh.setColumnWidth(c, (c >= 8 ? 50 : 22) * 256);
        }
        printable(sh, true);
        sh.setRepeatingRows(org.apache.poi.ss.util.CellRangeAddress.valueOf("1:1")); // the header on every printed page
      }
      try (OutputStream o = Files.newOutputStream(file)) {
        wb.write(o);
      }
    }
  }

  /** Printed as a clerk prints it: A4, every column on the page's width (landscape for the wide sheets), as many pages down as needed. */
  private static void printable(Sheet s, boolean landscape) {
    s.setFitToPage(true);
    s.setAutobreaks(true);
    org.apache.poi.ss.usermodel.PrintSetup p = s.getPrintSetup();
    p.setPaperSize(org.apache.poi.ss.usermodel.PrintSetup.A4_PAPERSIZE);
    p.setLandscape(landscape);
    p.setFitWidth((short) 1);
    p.setFitHeight((short) 0);
  }

  static String label(ReconcileClass k) {
    return switch (k) {
      case MISSING -> "缺失 MISSING (listed, not in the store)";
      case STALE -> "不一致 STALE (shown differently)";
      case EXTRA -> "多出 EXTRA (in the store, not listed)";
      case REJECTED -> "被拒绝 REJECTED (explained)";
      case DEAD_LETTERED -> "死信 DEAD_LETTERED (explained)";
      case IN_FLIGHT -> "处理中 IN_FLIGHT (explained)";
      case IMPORTED -> "已导入 IMPORTED (from the platform's files)";
    };
  }

  private static Sheet sheet(SXSSFWorkbook wb, String name, String[] headers, CellStyle bold) {
    Sheet s = wb.createSheet(name);
    row(s, 0, bold, headers);
    return s;
  }

  private static void row(Sheet s, int n, CellStyle style, String... values) {
    Row row = s.createRow(n);
    for (int c = 0; c < values.length; c++) {
      var cell = row.createCell(c);
      cell.setCellValue(values[c]);
      if (style != null) {
        cell.setCellStyle(style);
      }
    }
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
