package io.invoicesync.generator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.poi.ss.usermodel.Row;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.xssf.streaming.SXSSFWorkbook;

/**
 * Files as the tax platform (电子发票服务平台) writes them, made from invoices we describe: the query
 * export (全量发票查询导出) as an xlsx workbook (a summary sheet 信息汇总表 and a detail sheet of lines),
 * the same summary as CSV, and a 数电票's XML. For the tests, the bench and the demo: no real taxpayer's
 * data is kept anywhere. The workbook is streamed (a window of 200 rows in memory), so a 200,000-row
 * export costs no more heap than a small one.
 */
public final class PlatformFiles {

  /** The summary sheet's headers, in the platform's order. */
  public static final List<String> SUMMARY_HEADERS = List.of("序号", "发票代码", "发票号码", "数电发票号码", "销方识别号", "销方名称", "购方识别号",
      "购买方名称", "开票日期", "金额", "税额", "价税合计", "发票来源", "发票票种", "发票状态", "是否正数发票", "发票风险等级", "开票人", "备注");
  /** The detail sheet's headers. */
  public static final List<String> DETAIL_HEADERS = List.of("发票代码", "发票号码", "数电发票号码", "税收分类编码", "货物或应税劳务名称", "规格型号",
      "单位", "数量", "单价", "金额", "税率", "税额");

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** One line of an invoice as the export lists it; {@code rate} as written ("13%", "免税"). */
  public record Line(String taxCode, String item, String spec, String unit, BigDecimal quantity, BigDecimal price, BigDecimal amount,
                     String rate, BigDecimal tax) {
  }

  /**
   * One invoice as the export lists it. {@code code} null for a 数电票 ({@code number} its 20 digits);
   * {@code kind} and {@code status} as the platform words them (数电票（增值税专用发票）, 正常, 已红冲 …).
   */
  public record Invoice(String code, String number, String kind, LocalDateTime issuedAt, String sellerTaxId, String sellerName,
                        String buyerTaxId, String buyerName, BigDecimal amount, BigDecimal tax, BigDecimal total, String status,
                        boolean positive, String remark, List<Line> lines) {

    /** This invoice as the platform reports it after a change (another status, another total …). */
    public Invoice withStatus(String s) {
      return new Invoice(code, number, kind, issuedAt, sellerTaxId, sellerName, buyerTaxId, buyerName, amount, tax, total, s, positive, remark,
          lines);
    }

    public Invoice withTotals(BigDecimal a, BigDecimal t, BigDecimal g) {
      return new Invoice(code, number, kind, issuedAt, sellerTaxId, sellerName, buyerTaxId, buyerName, a, t, g, status, positive, remark, lines);
    }
  }

  private PlatformFiles() {
  }

  /**
   * The export workbook: a title row, the summary sheet's headers, one row per invoice; then the detail
   * sheet with every invoice's lines. {@code invoices} is read twice (summary, then lines), so it may be
   * a generator of any length.
   */
  public static void workbook(Path file, Iterable<Invoice> invoices) throws IOException {
    try (SXSSFWorkbook wb = new SXSSFWorkbook(200)) {
      wb.setCompressTempFiles(true);
      Sheet summary = wb.createSheet("信息汇总表");
      cells(summary.createRow(0), List.of("全量发票查询导出"));
      cells(summary.createRow(1), new ArrayList<>(SUMMARY_HEADERS));
      int r = 2;
      for (Invoice inv : invoices) {
        cells(summary.createRow(r), summaryRow(r - 1, inv));
        r++;
      }
      Sheet detail = wb.createSheet("信息明细表");
      cells(detail.createRow(0), new ArrayList<>(DETAIL_HEADERS));
      r = 1;
      for (Invoice inv : invoices) {
        for (Line l : inv.lines()) {
          cells(detail.createRow(r++), List.of(nz(inv.code()), inv.code() == null ? "" : inv.number(), inv.code() == null ? inv.number() : "",
              l.taxCode(), l.item(), nz(l.spec()), nz(l.unit()), plain(l.quantity()), plain(l.price()), money(l.amount()), l.rate(),
              money(l.tax())));
        }
      }
      try (OutputStream out = Files.newOutputStream(file)) {
        wb.write(out);
      }
    }
  }

  /** The summary as CSV (UTF-8 with a byte-order mark, as Excel saves "CSV UTF-8"); no lines. */
  public static void csv(Path file, Iterable<Invoice> invoices) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write('\ufeff');
      w.write(String.join(",", SUMMARY_HEADERS));
      w.write("\r\n");
      int n = 1;
      for (Invoice inv : invoices) {
        List<String> cells = new ArrayList<>();
        for (Object v : summaryRow(n++, inv)) {
          String s = v.toString();
          cells.add(s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s);
        }
        w.write(String.join(",", cells));
        w.write("\r\n");
      }
    }
  }

  /**
   * The detail export as CSV: one row per line, each repeating its invoice's columns (number, parties, date, type), in
   * UTF-8 with a byte-order mark. The import reads each invoice with its lines, its totals the lines' sums.
   */
  public static void linesCsv(Path file, Iterable<Invoice> invoices) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("\ufeff发票代码,发票号码,数电发票号码,销方识别号,销方名称,购方识别号,购买方名称,开票日期,发票票种,税收分类编码,货物或应税劳务名称,规格型号,"
          + "单位,数量,单价,金额,税率,税额\r\n");
      for (Invoice inv : invoices) {
        for (Line l : inv.lines()) {
          List<String> cells = List.of(nz(inv.code()), inv.code() == null ? "" : inv.number(), inv.code() == null ? inv.number() : "",
              inv.sellerTaxId(), inv.sellerName(), nz(inv.buyerTaxId()), inv.buyerName(), TIME.format(inv.issuedAt()), inv.kind(), l.taxCode(),
              l.item(), nz(l.spec()), nz(l.unit()), plain(l.quantity()), plain(l.price()), money(l.amount()), l.rate(), money(l.tax()));
          w.write(String.join(",", cells.stream().map(c -> c.contains(",") || c.contains("\"") ? "\"" + c.replace("\"", "\"\"") + "\"" : c)
              .toList()));
          w.write("\r\n");
        }
      }
    }
  }

  /** A 数电票's XML as the platform issues it (root EInvoice; DOMAIN.md names the elements). */
  public static String einvoiceXml(Invoice inv, String blueNumber, String confirmationNo) {
    StringBuilder items = new StringBuilder();
    for (Line l : inv.lines()) {
      items.append("<IssuItemInformation><ItemName>").append(esc(l.item())).append("</ItemName><SpecMod>").append(esc(nz(l.spec())))
          .append("</SpecMod><MeaUnits>").append(esc(nz(l.unit()))).append("</MeaUnits><Quantity>").append(plain(l.quantity()))
          .append("</Quantity><UnPrice>").append(plain(l.price())).append("</UnPrice><Amount>").append(money(l.amount()))
          .append("</Amount><TaxRate>").append(esc(l.rate())).append("</TaxRate><ComTaxAm>").append(money(l.tax()))
          .append("</ComTaxAm><TaxClassificationCode>").append(l.taxCode()).append("</TaxClassificationCode></IssuItemInformation>");
    }
    boolean special = inv.kind().contains("专用");
    String red = inv.positive() ? "" : "<SpecificInformation><RedEInvoice><BlueEIid>" + blueNumber + "</BlueEIid><RedConfirmationNo>"
        + confirmationNo + "</RedConfirmationNo></RedEInvoice></SpecificInformation>";
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<EInvoice><Header><EIid>" + inv.number() + "</EIid><InherentLabel>"
        + "<InIssuType><LabelCode>" + (inv.positive() ? "Y" : "N") + "</LabelCode></InIssuType>"
        + "<EInvoiceType><LabelName>电子发票</LabelName></EInvoiceType><GeneralOrSpecialVAT><LabelCode>" + (special ? "01" : "02")
        + "</LabelCode><LabelName>" + (special ? "增值税专用发票" : "普通发票") + "</LabelName></GeneralOrSpecialVAT></InherentLabel></Header>"
        + "<EInvoiceData><SellerInformation><SellerIdNum>" + inv.sellerTaxId() + "</SellerIdNum><SellerName>" + esc(inv.sellerName())
        + "</SellerName></SellerInformation><BuyerInformation><BuyerIdNum>" + nz(inv.buyerTaxId()) + "</BuyerIdNum><BuyerName>"
        + esc(inv.buyerName()) + "</BuyerName></BuyerInformation><BasicInformation><TotalAmWithoutTax>" + money(inv.amount())
        + "</TotalAmWithoutTax><TotalTaxAm>" + money(inv.tax()) + "</TotalTaxAm><TotalTax-includedAmount>" + money(inv.total())
        + "</TotalTax-includedAmount><RequestTime>" + TIME.format(inv.issuedAt()) + "</RequestTime></BasicInformation>" + items + red
        + "<AdditionalInformation><Remark>" + esc(nz(inv.remark())) + "</Remark></AdditionalInformation></EInvoiceData>"
        + "<TaxSupervisionInfo><InvoiceNumber>" + inv.number() + "</InvoiceNumber><IssueTime>" + TIME.format(inv.issuedAt())
        + "</IssueTime></TaxSupervisionInfo></EInvoice>\n";
  }

  /** Sets one cell of a workbook (0-based row and column) to {@code text}, as a clerk's hand edit in a spreadsheet would: a broken row. */
  public static void editCell(Path workbook, String sheet, int row, int col, String text) throws IOException {
    try (org.apache.poi.xssf.usermodel.XSSFWorkbook wb = new org.apache.poi.xssf.usermodel.XSSFWorkbook(Files.newInputStream(workbook))) {
      wb.getSheet(sheet).getRow(row).createCell(col).setCellValue(text);
      try (OutputStream out = Files.newOutputStream(workbook)) {
        wb.write(out);
      }
    }
  }

  private static List<Object> summaryRow(int n, Invoice inv) {
    return List.of(n, nz(inv.code()), inv.code() == null ? "" : inv.number(), inv.code() == null ? inv.number() : "", inv.sellerTaxId(),
        inv.sellerName(), nz(inv.buyerTaxId()), inv.buyerName(), TIME.format(inv.issuedAt()), money(inv.amount()), money(inv.tax()),
        money(inv.total()), "电子发票服务平台", inv.kind(), inv.status(), inv.positive() ? "是" : "否", "正常", "开票员", nz(inv.remark()));
  }

  private static void cells(Row row, List<?> values) {
    for (int c = 0; c < values.size(); c++) {
      Object v = values.get(c);
      if (v instanceof Number n) {
        row.createCell(c).setCellValue(n.doubleValue());
      } else if (v != null && !v.toString().isEmpty()) {
        row.createCell(c).setCellValue(v.toString());
      }
    }
  }

  /** An amount as the platform prints it: thousands separators, two decimals. */
  static String money(BigDecimal v) {
    return v == null ? "" : String.format("%,.2f", v);
  }

  private static String plain(BigDecimal v) {
    return v == null ? "" : v.stripTrailingZeros().toPlainString();
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** An iterable over {@code n} invoices made by {@code make(i)}, produced as they are read (a 200,000-row export is not a list). */
  public static Iterable<Invoice> generated(int n, java.util.function.IntFunction<Invoice> make) {
    return () -> new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public Invoice next() {
        return make.apply(i++);
      }
    };
  }
}
