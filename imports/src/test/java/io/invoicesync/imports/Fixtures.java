package io.invoicesync.imports;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.poi.ss.usermodel.Row;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.xssf.streaming.SXSSFWorkbook;

/** The tax platform's files, made by the tests (no real taxpayer's data in the repository). */
final class Fixtures {

  static final String SELLER = "91310000MA1FL8XQ0B";
  static final String BUYER = "91110108MA01ABCD2X";

  private Fixtures() {
  }

  /** A 数电票 as the platform's XML writes it; {@code blue} null for a blue invoice, else the blue invoice's number. */
  static String einvoiceXml(String number, String blue, String amount, String tax, String total) {
    String red = blue == null ? "" : "<SpecificInformation><RedEInvoice><BlueEIid>" + blue + "</BlueEIid>"
        + "<RedConfirmationNo>3101" + number.substring(4, 16) + "</RedConfirmationNo><BlueIssueDate>2026-11-03</BlueIssueDate>"
        + "</RedEInvoice></SpecificInformation>";
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <EInvoice>
          <Header>
            <EIid>%s</EIid>
            <InherentLabel>
              <InIssuType><LabelCode>%s</LabelCode></InIssuType>
              <EInvoiceType><LabelName>电子发票</LabelName></EInvoiceType>
              <GeneralOrSpecialVAT><LabelCode>01</LabelCode><LabelName>增值税专用发票</LabelName></GeneralOrSpecialVAT>
            </InherentLabel>
          </Header>
          <EInvoiceData>
            <SellerInformation><SellerIdNum>%s</SellerIdNum><SellerName>上海示例科技有限公司</SellerName>
              <SellerAddr>上海市浦东新区</SellerAddr><SellerTelNum>021-5555</SellerTelNum></SellerInformation>
            <BuyerInformation><BuyerIdNum>%s</BuyerIdNum><BuyerName>北京样例贸易有限公司</BuyerName></BuyerInformation>
            <BasicInformation><TotalAmWithoutTax>%s</TotalAmWithoutTax><TotalTaxAm>%s</TotalTaxAm>
              <TotalTax-includedAmount>%s</TotalTax-includedAmount><RequestTime>2026-11-05 10:20:30</RequestTime></BasicInformation>
            <IssuItemInformation><ItemName>*信息技术服务*软件维护</ItemName><SpecMod>V2</SpecMod><MeaUnits>项</MeaUnits>
              <Quantity>%s</Quantity><UnPrice>1000</UnPrice><Amount>%s</Amount><TaxRate>13%%</TaxRate><ComTaxAm>%s</ComTaxAm>
              <TaxClassificationCode>3040201000000000000</TaxClassificationCode></IssuItemInformation>
            %s
            <AdditionalInformation><Remark>合同 HT-2026-11</Remark></AdditionalInformation>
          </EInvoiceData>
          <TaxSupervisionInfo><InvoiceNumber>%s</InvoiceNumber><IssueTime>2026-11-05 10:20:31</IssueTime></TaxSupervisionInfo>
        </EInvoice>
        """.formatted(number, blue == null ? "Y" : "N", SELLER, BUYER, amount, tax, total, blue == null ? "1" : "-1", amount, tax, red, number);
  }

  /** An OFD package (a zip) carrying the invoice's XML as an attachment, as the platform's OFD invoices do. */
  static void ofd(Path file, String xml) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      put(zip, "OFD.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\" Version=\"1.0\">"
          + "<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>");
      put(zip, "Doc_0/Document.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\"/>");
      put(zip, "Doc_0/Attachs/original_invoice.xml", xml);
    }
  }

  private static void put(ZipOutputStream zip, String name, String text) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(text.getBytes(StandardCharsets.UTF_8));
    zip.closeEntry();
  }

  /** A sheet of {@code rows} (the first the header), streamed as the platform's exports are large. */
  static void sheet(SXSSFWorkbook wb, String name, List<List<Object>> rows) {
    Sheet s = wb.createSheet(name);
    int r = 0;
    for (List<Object> values : rows) {
      Row row = s.createRow(r++);
      for (int c = 0; c < values.size(); c++) {
        Object v = values.get(c);
        if (v instanceof Number n) {
          row.createCell(c).setCellValue(n.doubleValue());
        } else if (v != null) {
          row.createCell(c).setCellValue(v.toString());
        }
      }
    }
  }

  static void write(SXSSFWorkbook wb, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      wb.write(out);
    }
    wb.close();
  }
}
