package io.invoicesync.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.schemas.Invoice;
import java.math.BigDecimal;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.poi.xssf.streaming.SXSSFWorkbook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileReadersTest {

  static final String A = "26312000000012345678";
  static final String C = "26312000000012349999";

  @TempDir
  Path dir;

  private final List<ImportedInvoice> invoices = new ArrayList<>();
  private final List<ImportProblem> problems = new ArrayList<>();
  private final ImportSink sink = new ImportSink() {
    @Override
    public void invoice(ImportedInvoice invoice) {
      invoices.add(invoice);
    }

    @Override
    public void problem(ImportProblem problem) {
      problems.add(problem);
    }
  };

  @Test
  void readsADigitalInvoicesXmlWithItsLinesPartiesAndIssueTime() throws Exception {
    Path f = dir.resolve("dzfp_" + A + ".xml");
    Files.writeString(f, Fixtures.einvoiceXml(A, null, "1000.00", "130.00", "1130.00"));

    FileReaders.Summary s = FileReaders.read(f, sink);

    assertThat(s.invoices()).isEqualTo(1);
    Invoice inv = invoices.get(0).invoice();
    assertThat(inv.getId()).isEqualTo(A);
    assertThat(inv.getInvoiceCode()).isNull();
    assertThat(inv.getInvoiceType()).isEqualTo("DIGITAL_SPECIAL");
    assertThat(inv.getIssuedAt()).isEqualTo(LocalDateTime.of(2026, 11, 5, 10, 20, 31));
    assertThat(inv.getSeller().getTaxId()).isEqualTo(Fixtures.SELLER);
    assertThat(inv.getSeller().getAddressPhone()).isEqualTo("上海市浦东新区 021-5555");
    assertThat(inv.getGrandTotal()).isEqualByComparingTo("1130.00");
    assertThat(inv.getLines()).singleElement().satisfies(l -> {
      assertThat(l.getTaxRate()).isEqualByComparingTo("0.13");
      assertThat(l.getTaxCode()).isEqualTo("3040201000000000000");
    });
    assertThat(inv.getRedLetter()).isNull();
    assertThat(invoices.get(0).where().getPath()).isEqualTo("/EInvoice");
    assertThat(invoices.get(0).where().getSha256()).hasSize(64).isEqualTo(FileReaders.sha256(f));
  }

  @Test
  void readsARedDigitalInvoiceWithItsBlueInvoiceFromAnOfdPackage() throws Exception {
    Path f = dir.resolve("red.ofd");
    Fixtures.ofd(f, Fixtures.einvoiceXml(C, A, "-1000.00", "-130.00", "-1130.00"));

    FileReaders.read(f, sink);

    Invoice inv = invoices.get(0).invoice();
    assertThat(inv.getRedLetter().getBlueInvoiceNumber()).isEqualTo(A);
    assertThat(inv.getRedLetter().getBlueIssueDate()).isEqualTo(LocalDate.of(2026, 11, 3));
    assertThat(inv.getRedLetter().getConfirmationNo()).startsWith("3101");
    assertThat(inv.getTotalAmount()).isEqualByComparingTo("-1000.00");
    assertThat(invoices.get(0).where().getPath()).isEqualTo("Doc_0/Attachs/original_invoice.xml/EInvoice");
  }

  @Test
  void readsTheInvoiceFromAnOfdFileWrittenByOfdrwWithItsXmlAsAnAttachment() throws Exception {
    // an OFD made by a real OFD writer (ofdrw): a page, and the invoice's XML attached, as the platform's OFD invoices carry it
    Path xml = dir.resolve("original_invoice.xml");
    Files.writeString(xml, Fixtures.einvoiceXml(A, null, "1000.00", "130.00", "1130.00"));
    Path ofd = dir.resolve("dzfp_" + A + ".ofd");
    try (org.ofdrw.layout.OFDDoc doc = new org.ofdrw.layout.OFDDoc(ofd)) {
      doc.add(new org.ofdrw.layout.element.Paragraph("e-invoice " + A));
      doc.addAttachment(new org.ofdrw.layout.edit.Attachment("original_invoice", xml));
    }

    FileReaders.Summary s = FileReaders.read(ofd, sink);

    assertThat(s.format()).isEqualTo("ofd");
    assertThat(problems).isEmpty();
    Invoice inv = invoices.get(0).invoice();
    assertThat(inv.getInvoiceNumber()).isEqualTo(A);
    assertThat(inv.getGrandTotal()).isEqualByComparingTo("1130.00");
    assertThat(invoices.get(0).where().getPath()).isEqualTo("Doc_0/Res/original_invoice.xml/EInvoice"); // where ofdrw keeps attachments
  }

  /** The printed values of an older electronic invoice, one text object each on the page ofdrw writes. */
  static final Map<String, String> PRINTED = new java.util.LinkedHashMap<>(Map.of(
      "InvoiceCode", "044031900111", "InvoiceNo", "12345678", "IssueDate", "2019年08月22日",
      "BuyerName", "上海某某贸易有限公司", "BuyerTaxID", "91310000MA1FL4XQ3A", "SellerName", "深圳市示例科技有限公司",
      "SellerTaxID", "91440300MA5ETUPW89", "TaxExclusiveTotalAmount", "¥1000.00", "TaxTotalAmount", "¥130.00",
      "TaxInclusiveTotalAmount", "¥1,130.00"));

  /**
   * An OFD invoice that embeds no XML (the older 增值税电子普通发票 of tax-control systems): its data is in custom tags whose fields
   * point at the text objects printed on the page. The page is written by ofdrw; the tags are added as those files carry them.
   */
  static Path ofdWithCustomTags(Path dir, Map<String, String> printed, String brokenRef) throws Exception {
    Path plain = dir.resolve("page-only.ofd");
    try (org.ofdrw.layout.OFDDoc doc = new org.ofdrw.layout.OFDDoc(plain)) {
      for (String v : printed.values()) {
        doc.add(new org.ofdrw.layout.element.Paragraph(v));
      }
    }
    // the IDs ofdrw gave the text objects, from the page it wrote
    Map<String, String> idOf = new java.util.HashMap<>();
    String page;
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(plain.toFile())) {
      java.util.zip.ZipEntry content = z.stream().filter(e -> e.getName().endsWith("Content.xml")).findFirst().orElseThrow();
      page = new String(z.getInputStream(content).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<ofd:TextObject[^>]*\\bID=\"(\\d+)\"[^>]*>.*?<ofd:TextCode[^>]*>([^<]*)</ofd:TextCode>",
        java.util.regex.Pattern.DOTALL).matcher(page);
    while (m.find()) {
      idOf.merge(m.group(2), m.group(1), (a, b) -> a);
    }
    StringBuilder tag = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<eInvoice xmlns:ofd=\"http://www.ofdspec.org/2016\">");
    printed.forEach((field, value) -> {
      String id = field.equals(brokenRef) ? "99999" : idOf.get(value);
      assertThat(id).as("ofdrw printed '" + value + "' as one text object").isNotNull();
      tag.append("<").append(field).append("><ofd:ObjectRef PageRef=\"1\">").append(id).append("</ofd:ObjectRef></").append(field).append(">");
    });
    tag.append("</eInvoice>");
    Path ofd = dir.resolve("dzfp_044031900111_12345678.ofd");
    try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(plain.toFile());
         java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(ofd))) {
      for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
        byte[] bytes = in.getInputStream(e).readAllBytes();
        if (e.getName().equals("Doc_0/Document.xml")) {
          bytes = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).replace("</ofd:Document>",
              "<ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags></ofd:Document>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
        out.write(bytes);
      }
      out.putNextEntry(new java.util.zip.ZipEntry("Doc_0/Tags/CustomTags.xml"));
      out.write(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:CustomTags xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:CustomTag "
          + "NameSpace=\"\" TypeID=\"eInvoice\"><ofd:FileLoc>CustomTag.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.putNextEntry(new java.util.zip.ZipEntry("Doc_0/Tags/CustomTag.xml"));
      out.write(tag.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    // still an OFD a real reader opens, its page intact
    try (org.ofdrw.reader.OFDReader reader = new org.ofdrw.reader.OFDReader(ofd)) {
      assertThat(reader.getNumberOfPages()).isEqualTo(1);
    }
    return ofd;
  }

  @Test
  void readsAnOlderOfdInvoiceFromItsCustomTagsWhenItEmbedsNoXml() throws Exception {
    Path ofd = ofdWithCustomTags(dir, PRINTED, null);

    FileReaders.Summary s = FileReaders.read(ofd, sink);

    assertThat(problems).isEmpty();
    assertThat(s.invoices()).isEqualTo(1);
    Invoice inv = invoices.get(0).invoice();
    assertThat(inv.getInvoiceCode()).isEqualTo("044031900111");
    assertThat(inv.getInvoiceNumber()).isEqualTo("12345678");
    assertThat(inv.getIssueDate()).isEqualTo(java.time.LocalDate.of(2019, 8, 22));
    assertThat(inv.getSeller().getTaxId()).isEqualTo("91440300MA5ETUPW89");
    assertThat(inv.getBuyer().getName()).isEqualTo("上海某某贸易有限公司");
    assertThat(inv.getTotalAmount()).isEqualByComparingTo("1000.00");
    assertThat(inv.getTotalTax()).isEqualByComparingTo("130.00");
    assertThat(inv.getGrandTotal()).as("currency sign and thousands separator as printed").isEqualByComparingTo("1130.00");
    assertThat(invoices.get(0).where().getPath()).isEqualTo("Doc_0/Tags/CustomTag.xml/eInvoice");
  }

  @Test
  void namesTheFieldWhoseCustomTagPointsAtNoPrintedObject() throws Exception {
    Path ofd = ofdWithCustomTags(dir, PRINTED, "TaxTotalAmount");

    FileReaders.Summary s = FileReaders.read(ofd, sink);

    assertThat(s.invoices()).isZero();
    assertThat(problems).singleElement().satisfies(p -> assertThat(p.toString()).contains("TaxTotalAmount").contains("99999")
        .contains("on no page"));
  }

  @Test
  void readsTheExportWorkbookWithRenamedReorderedHeadersItsDetailSheetAndNamesTheBrokenRow() throws Exception {
    Path f = dir.resolve("全量发票查询导出_202611.xlsx");
    SXSSFWorkbook wb = new SXSSFWorkbook(100);
    // the summary sheet first, with a title above a header row whose names are variants, full-width and spaced
    Fixtures.sheet(wb, "信息汇总表", List.of(
        List.of("全量发票查询导出"),
        List.of("序号", "数电票号码", "发票代码", "发票号码", "销售方识别号", "销方名称", "购方识别号", "购买方名称", "开票日期",
            "金额（元）", " 税额 ", "价税合计", "发票票种", "发票状态", "是否正数发票", "备注"),
        row(1, A, "1,000.00", "130.00", "1,130.00", "正常", "是", "合同 HT-1"),
        row(2, "26312000000012340000", "12x.00", "130.00", "1,130.00", "正常", "是", null),
        row(3, C, "-1,000.00", "-130.00", "-1,130.00", "正常", "否", "被红冲蓝字数电发票号码：" + A + " 红字发票信息确认单编号：31011234567890")));
    Fixtures.sheet(wb, "发票明细", List.of(
        List.of("数电发票号码", "发票代码", "发票号码", "税收分类编码", "货物或应税劳务名称", "规格型号", "单位", "数量", "单价", "金额", "税率", "税额"),
        List.of(A, "", "", "3040201000000000000", "*信息技术服务*维护", "V2", "项", "1", "600", "600.00", "13%", "78.00"),
        List.of(A, "", "", "3040201000000000000", "*信息技术服务*培训", "", "次", "2", "200", "400.00", "0.13", "52.00"),
        List.of(C, "", "", "3040201000000000000", "*信息技术服务*维护", "V2", "项", "-1", "1000", "-1,000.00", "13%", "-130.00")));
    Fixtures.write(wb, f);

    FileReaders.Summary s = FileReaders.read(f, sink);

    assertThat(s.invoices()).isEqualTo(2);
    assertThat(s.lines()).isEqualTo(3);
    assertThat(problems).singleElement().satisfies(p -> {
      assertThat(p.sheet()).isEqualTo("信息汇总表");
      assertThat(p.row()).isEqualTo(4);
      assertThat(p.reason()).contains("金额", "12x.00");
      assertThat(p.toString()).startsWith("全量发票查询导出_202611.xlsx, sheet 信息汇总表, row 4: ");
    });
    ImportedInvoice a = invoices.get(0);
    assertThat(a.invoice().getId()).isEqualTo(A);
    assertThat(a.linesIncluded()).isTrue();
    assertThat(a.invoice().getLines()).extracting(l -> l.getAmount()).containsExactly(new BigDecimal("600.00"), new BigDecimal("400.00"));
    assertThat(a.invoice().getLines().get(1).getTaxRate()).isEqualByComparingTo("0.13");
    assertThat(a.invoice().getInvoiceType()).isEqualTo("DIGITAL_SPECIAL");
    assertThat(a.invoice().getIssueDate()).isEqualTo(LocalDate.of(2026, 11, 5));
    assertThat(a.invoice().getIssuedAt()).isEqualTo(LocalDateTime.of(2026, 11, 5, 10, 20, 31));
    assertThat(a.invoice().getSeller().getTaxId()).isEqualTo(Fixtures.SELLER);
    assertThat(a.invoice().getGrandTotal()).isEqualByComparingTo("1130.00");
    assertThat(a.where().getRow()).isEqualTo(3);
    ImportedInvoice c = invoices.get(1);
    assertThat(c.invoice().getRedLetter().getBlueInvoiceNumber()).isEqualTo(A);
    assertThat(c.invoice().getRedLetter().getConfirmationNo()).isEqualTo("31011234567890");
    assertThat(c.where().getRow()).isEqualTo(5);
  }

  private static List<Object> row(int n, String number, String amount, String tax, String total, String status, String positive, String remark) {
    List<Object> r = new ArrayList<>(List.of(n, number, "", "", Fixtures.SELLER, "上海示例科技有限公司", Fixtures.BUYER, "北京样例贸易有限公司",
        "2026-11-05 10:20:31", amount, tax, total, "数电票（增值税专用发票）", status, positive));
    r.add(remark);
    return r;
  }

  @Test
  void readsAGbkCsvOfTheSummaryWithoutLinesAndAnOlderInvoicesCodeAndNumber() throws Exception {
    Path f = dir.resolve("export.csv");
    Files.writeString(f, "发票代码,发票号码,销方识别号,销方名称,购方识别号,购买方名称,开票日期,金额,税额,价税合计,发票状态,发票票种\n"
        + "031002300111,12345678," + Fixtures.SELLER + ",上海示例,," + "个人,2026/11/3,\"1,000.00\",30.00,\"1,030.00\",已作废,增值税普通发票\n",
        Charset.forName("GBK"));

    FileReaders.read(f, sink);

    Invoice inv = invoices.get(0).invoice();
    assertThat(inv.getId()).isEqualTo("031002300111-12345678");
    assertThat(inv.getInvoiceType()).isEqualTo("GENERAL_PAPER");
    assertThat(inv.getStatus()).isEqualTo("VOIDED");
    assertThat(inv.getIssueDate()).isEqualTo(LocalDate.of(2026, 11, 3));
    assertThat(inv.getBuyer().getTaxId()).isNull();
    assertThat(invoices.get(0).linesIncluded()).isFalse();
    assertThat(invoices.get(0).where().getRow()).isEqualTo(2);
  }

  @Test
  void readsACsvOfLinesThatRepeatsEachInvoicesColumnsAsInvoicesWithTheirLinesAndSummedTotals() throws Exception {
    Path f = dir.resolve("明细导出.csv");
    String head = "数电发票号码,销方识别号,销方名称,购方识别号,购买方名称,开票日期,发票票种,货物或应税劳务名称,数量,单价,金额,税率,税额\n";
    String a = A + "," + Fixtures.SELLER + ",上海示例," + Fixtures.BUYER + ",北京样例,2026-11-05 10:20:31,数电票（增值税专用发票）,";
    String c = C + "," + Fixtures.SELLER + ",上海示例," + Fixtures.BUYER + ",北京样例,2026-11-06,数电票（增值税专用发票）,";
    Files.writeString(f, head + a + "*服务*维护,1,600,600.00,13%,78.00\n" + a + "*服务*培训,2,200,400.00,13%,52.00\n"
        + c + "*服务*维护,1,100,100.00,13%,13.00\n", StandardCharsets.UTF_8);

    FileReaders.Summary s = FileReaders.read(f, sink);

    assertThat(s.invoices()).isEqualTo(2);
    assertThat(problems).isEmpty();
    ImportedInvoice first = invoices.get(0);
    assertThat(first.linesIncluded()).isTrue();
    assertThat(first.invoice().getLines()).hasSize(2);
    assertThat(first.invoice().getTotalAmount()).isEqualByComparingTo("1000.00");
    assertThat(first.invoice().getGrandTotal()).isEqualByComparingTo("1130.00");
    assertThat(first.where().getRow()).isEqualTo(2);
    assertThat(invoices.get(1).invoice().getLines()).singleElement().satisfies(l -> assertThat(l.getLineNo()).isEqualTo(1));
  }

  @Test
  void readsAnOlderElectronicInvoicesXmlByItsCodeAndNumber() throws Exception {
    Path f = dir.resolve("fp_044031900111_12345678.xml");
    Files.writeString(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><eInvoice><InvoiceCode>044031900111</InvoiceCode>"
        + "<InvoiceNo>12345678</InvoiceNo><IssueDate>2026年11月03日</IssueDate><InvoiceType>增值税电子普通发票</InvoiceType>"
        + "<SellerName>上海示例</SellerName><SellerTaxID>" + Fixtures.SELLER + "</SellerTaxID><BuyerName>个人</BuyerName>"
        + "<TaxExclusiveTotalAmount>100.00</TaxExclusiveTotalAmount><TaxTotalAmount>13.00</TaxTotalAmount>"
        + "<TaxInclusiveTotalAmount>113.00</TaxInclusiveTotalAmount><GoodsInfos><GoodsInfo><Item>*服务*维护</Item><Quantity>1</Quantity>"
        + "<Price>100</Price><Amount>100.00</Amount><TaxRate>0.13</TaxRate><TaxAmount>13.00</TaxAmount></GoodsInfo></GoodsInfos></eInvoice>");

    FileReaders.read(f, sink);

    Invoice inv = invoices.get(0).invoice();
    assertThat(inv.getId()).isEqualTo("044031900111-12345678");
    assertThat(inv.getInvoiceType()).isEqualTo("GENERAL_ELECTRONIC");
    assertThat(inv.getIssueDate()).isEqualTo(LocalDate.of(2026, 11, 3));
    assertThat(inv.getLines()).singleElement().satisfies(l -> assertThat(l.getTaxRate()).isEqualByComparingTo("0.13"));
  }

  @Test
  void anUnknownLayoutFailsNamingTheHeadersItDidNotRecognise() throws Exception {
    Path f = dir.resolve("other.csv");
    Files.writeString(f, "\ufeffVoucher,Posting date,金额\nA-1,2026-11-03,10.00\n", StandardCharsets.UTF_8);

    assertThatThrownBy(() -> FileReaders.read(f, sink)).isInstanceOf(ImportFormatException.class)
        .hasMessageContaining("other.csv").hasMessageContaining("[Voucher, Posting date]").hasMessageContaining("数电发票号码 or 发票号码");
  }

  @Test
  void aFileOfAnotherKindIsNamedWithTheKindsTheImportReads() {
    assertThatThrownBy(() -> FileReaders.read(dir.resolve("invoices.pdf"), sink)).isInstanceOf(ImportFormatException.class)
        .hasMessageContaining("invoices.pdf").hasMessageContaining(".xlsx");
  }

  @Test
  void valuesAreReadAsThePlatformWritesThem() {
    assertThat(Values.amount("¥1,234.50", 2)).isEqualByComparingTo("1234.50");
    assertThat(Values.amount("（12.00）", 2)).isEqualByComparingTo("-12.00");
    assertThatThrownBy(() -> Values.amount("1.234", 2)).hasMessageContaining("more than 2 decimals");
    assertThat(Values.rate("１３％")).isEqualByComparingTo("0.13");
    assertThat(Values.rate("免税")).isNull();
    assertThat(Values.exempt("免税")).isTrue();
    assertThat(Values.date("2026年11月3日")).isEqualTo(LocalDate.of(2026, 11, 3));
    assertThat(Values.date("20261103")).isEqualTo(LocalDate.of(2026, 11, 3));
    assertThat(Values.date("46329")).isEqualTo(LocalDate.of(2026, 11, 3)); // a date cell's day number
    assertThatThrownBy(() -> Values.date("2026-02-30")).hasMessageContaining("is not a date");
    assertThat(ExportColumn.of("  金额（元） ")).isEqualTo(ExportColumn.AMOUNT);
    assertThat(ExportColumn.of("*数电票号码")).isEqualTo(ExportColumn.DIGITAL_NUMBER);
  }
}
