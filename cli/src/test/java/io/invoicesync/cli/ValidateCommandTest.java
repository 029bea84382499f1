package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateCommandTest {

  /** The README's hand-issued invoice, in the JSON form the API returns. */
  static final String VALID = """
      {"id": "hand-1", "invoiceCode": null, "invoiceNumber": "26442000000000000777", "invoiceType": "DIGITAL_GENERAL",
       "issueDate": "2026-11-24", "issuedAt": "2026-11-24T10:00",
       "seller": {"name": "深圳市示例科技有限公司", "taxId": "91440300MA5ETUPW89"},
       "buyer": {"name": "上海某某贸易有限公司", "taxId": "91310000MA1FL4XQ3A"},
       "totalAmount": 1000.00, "totalTax": 130.00, "grandTotal": 1130.00, "status": "ISSUED",
       "lines": [
         {"lineNo": 1, "itemName": "*信息技术服务*软件维护", "quantity": 1, "unitPrice": 500, "amount": 500.00, "taxRate": 0.13, "taxAmount": 65.00},
         {"lineNo": 2, "itemName": "*信息技术服务*技术支持", "quantity": 2, "unitPrice": 250, "amount": 500.00, "taxRate": 0.13, "taxAmount": 65.00}],
       "sync": {"version": 1}}
      """;

  static String[] validate(Path dir, String json) throws Exception {
    Path f = dir.resolve("in.json");
    Files.writeString(f, json);
    return InvoiceSyncCommandTest.run("validate", "--today", "2026-11-25", f.toString());
  }

  @Test
  void shouldExitZeroForAValidInvoice(@TempDir Path dir) throws Exception {
    String[] r = validate(dir, VALID);

    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1]).contains("hand-1: valid", "1 invoice, 0 invalid");
  }

  @Test
  void shouldPrintEveryViolationWithCodeFieldValueAndExpectedAndExitOne(@TempDir Path dir) throws Exception {
    String broken = VALID.replace("91440300MA5ETUPW89", "91440300MA5ETUPW88").replace("\"grandTotal\": 1130.00", "\"grandTotal\": 1131.00");

    String[] r = validate(dir, "[" + VALID.replace("hand-1", "ok-1") + "," + broken + "]");

    assertThat(r[0]).isEqualTo("1");
    assertThat(r[1]).contains("ok-1: valid", "hand-1: 2 violations", "SELLER_TAX_ID_CHECKSUM", "seller.taxId", "value=91440300MA5ETUPW88",
        "expected=check character 9", "GRAND_TOTAL_MISMATCH", "value=1131.00", "expected=1130.00", "2 invoices, 1 invalid");
  }

  @Test
  void shouldExitTwoAndNameTheFieldWhenTheInputIsNotAnInvoice(@TempDir Path dir) throws Exception {
    String[] wrongType = validate(dir, VALID.replace("\"amount\": 500.00, \"taxRate\": 0.13, \"taxAmount\": 65.00},\n", "\"amount\": \"lots\", \"taxRate\": 0.13, \"taxAmount\": 65.00},\n"));
    assertThat(wrongType[0]).isEqualTo("2");
    assertThat(wrongType[2]).contains("invoice.lines[0].amount must be a decimal number");

    String[] notJson = validate(dir, "{ this is not json");
    assertThat(notJson[0]).isEqualTo("2");
    assertThat(notJson[2]).contains("cannot read");

    String[] noId = validate(dir, "{\"invoiceNumber\": \"1\"}");
    assertThat(noId[0]).isEqualTo("2");
    assertThat(noId[2]).contains("invoice.id is missing");
  }
}
