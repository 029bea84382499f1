package io.invoicesync.outcomes.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class InvoiceViewTest {

  /** As the query API writes. */
  static final ObjectMapper API = new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

  static InvoiceView invoice() {
    return new InvoiceView("hand-1", null, "26442000000000000777", "DIGITAL_GENERAL", "2026-11-24", "2026-11-24T10:00",
        new InvoiceView.Party("深圳市示例科技有限公司", "91440300MA5ETUPW89", null, null),
        new InvoiceView.Party("上海某某贸易有限公司", "91310000MA1FL4XQ3A", null, null),
        new BigDecimal("1000.00"), new BigDecimal("130.00"), new BigDecimal("1130.00"), "ISSUED", null, null, null,
        new InvoiceView.Sync(1, "ab", 3L, null, "2026-11-24T02:00:00Z", "2026-11-24T02:00:01Z", "2026-11-24T02:00:02Z"), null, null);
  }

  static final String HEADER = "{\"id\":\"hand-1\",\"invoiceCode\":null,\"invoiceNumber\":\"26442000000000000777\","
      + "\"invoiceType\":\"DIGITAL_GENERAL\",\"issueDate\":\"2026-11-24\",\"issuedAt\":\"2026-11-24T10:00\","
      + "\"seller\":{\"name\":\"深圳市示例科技有限公司\",\"taxId\":\"91440300MA5ETUPW89\",\"addressPhone\":null,\"bankAccount\":null},"
      + "\"buyer\":{\"name\":\"上海某某贸易有限公司\",\"taxId\":\"91310000MA1FL4XQ3A\",\"addressPhone\":null,\"bankAccount\":null},"
      + "\"totalAmount\":1000.00,\"totalTax\":130.00,\"grandTotal\":1130.00,\"status\":\"ISSUED\",\"riskFlag\":null,\"redLetter\":null,"
      + "\"remarks\":null,\"sync\":{\"version\":1,\"digest\":\"ab\",\"sourceLsn\":3,\"sourceTxId\":null,"
      + "\"sourceCommitTs\":\"2026-11-24T02:00:00Z\",\"syncedAt\":\"2026-11-24T02:00:01Z\",\"projectedAt\":\"2026-11-24T02:00:02Z\"}";

  @Test
  void shouldWriteALookupWithItsLinesAndNoLineCount() throws Exception {
    // Given an invoice with one line
    InvoiceView.Line line = new InvoiceView.Line(1, "*信息技术服务*软件维护", null, "次", new BigDecimal("1"), new BigDecimal("1E+3"),
        new BigDecimal("1000.00"), new BigDecimal("0.13"), false, new BigDecimal("130.00"), "3040201010000000000", "NORMAL");

    // When the API writes it
    String json = API.writeValueAsString(invoice().withLines(List.of(line)));

    // Then the header keeps its shape, money its scale, and the lines follow the sync metadata
    assertThat(json).isEqualTo(HEADER + ",\"lines\":[{\"lineNo\":1,\"itemName\":\"*信息技术服务*软件维护\",\"specification\":null,"
        + "\"unit\":\"次\",\"quantity\":1,\"unitPrice\":1000,\"amount\":1000.00,\"taxRate\":0.13,\"taxExempt\":false,\"taxAmount\":130.00,"
        + "\"taxCode\":\"3040201010000000000\",\"lineKind\":\"NORMAL\"}]}");
  }

  @Test
  void shouldWriteASearchItemWithItsLineCountAndNoLines() throws Exception {
    assertThat(API.writeValueAsString(invoice().withLineCount(2))).isEqualTo(HEADER + ",\"lineCount\":2}");
  }

  @Test
  void shouldWriteARedLetterLinkNestedWithItsReason() throws Exception {
    InvoiceView red = new InvoiceView("r-1", null, null, null, null, null, null, null, null, null, null, "ISSUED", null,
        new InvoiceView.RedLetter(null, null, "26442000000000000501", "2026-11-20", "RC1", 2), null, null, null, null);

    assertThat(API.readTree(API.writeValueAsString(red)).get("redLetter").toString()).isEqualTo("{\"blueInvoiceId\":null,"
        + "\"blueInvoiceCode\":null,\"blueInvoiceNumber\":\"26442000000000000501\",\"blueIssueDate\":\"2026-11-20\","
        + "\"confirmationNo\":\"RC1\",\"reason\":2}");
  }

  @Test
  void shouldReadBackWhatTheApiWroteKeepingTheScaleOfMoney() throws Exception {
    ObjectMapper client = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    InvoiceView written = invoice().withLineCount(2);

    InvoiceView read = client.readValue(API.writeValueAsString(written).replace("{\"id\"", "{\"addedLater\":true,\"id\""), InvoiceView.class);

    assertThat(read).isEqualTo(written);
    assertThat(read.grandTotal().scale()).isEqualTo(2);
  }
}
