package io.invoicesync.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.outcomes.view.InvoiceView;
import io.invoicesync.schemas.Invoice;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class InvoiceJsonTest {

  static List<Invoice> read(String json) throws Exception {
    return InvoiceJson.readAll(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }

  static String message(String json) {
    return assertThatThrownBy(() -> read(json)).isInstanceOf(InvoiceJson.Unreadable.class).actual().getMessage();
  }

  @Test
  void shouldReadWhatTheApiWritesIntoTheInvoice() throws Exception {
    // Given an invoice as the API writes it (its view, with the API's mapper)
    InvoiceView view = new InvoiceView("r-1", "044001900111", "12345678", "VAT_SPECIAL", "2026-11-24", "2026-11-24T10:00",
        new InvoiceView.Party("深圳市示例科技有限公司", "91440300MA5ETUPW89", "深圳 0755", "招行 1"),
        new InvoiceView.Party("上海某某贸易有限公司", "91310000MA1FL4XQ3A", null, null),
        new BigDecimal("-1000.00"), new BigDecimal("-130.00"), new BigDecimal("-1130.00"), "ISSUED", "LOW",
        new InvoiceView.RedLetter("b-1", null, "26442000000000000501", "2026-11-20", "RC1", 2), "红冲",
        new InvoiceView.Sync(1, "ab", 3L, 7L, "2026-11-24T02:00:00Z", "2026-11-24T02:00:01Z", "2026-11-24T02:00:02Z"), null, null)
        .withLines(List.of(new InvoiceView.Line(1, "*信息技术服务*软件维护", "v2", "次", new BigDecimal("-1"), new BigDecimal("1E+3"),
            new BigDecimal("-1000.00"), new BigDecimal("0.13"), false, new BigDecimal("-130.00"), "3040201010000000000", "NORMAL")));
    String json = new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN).writeValueAsString(view);

    // When the CLI reads it
    Invoice inv = read(json).get(0);

    // Then every field arrives, money with its scale
    assertThat(inv.getId()).isEqualTo("r-1");
    assertThat(inv.getIssueDate()).isEqualTo(LocalDate.of(2026, 11, 24));
    assertThat(inv.getIssuedAt()).isEqualTo(LocalDateTime.of(2026, 11, 24, 10, 0));
    assertThat(inv.getSeller().getBankAccount()).isEqualTo("招行 1");
    assertThat(inv.getGrandTotal()).isEqualTo(new BigDecimal("-1130.00"));
    assertThat(inv.getRiskFlag()).isEqualTo("LOW");
    assertThat(inv.getRedLetter().getBlueIssueDate()).isEqualTo(LocalDate.of(2026, 11, 20));
    assertThat(inv.getRedLetter().getReason()).isEqualTo(2);
    assertThat(inv.getLines()).singleElement().satisfies(l -> {
      assertThat(l.getUnitPrice()).isEqualByComparingTo("1000");
      assertThat(l.getAmount()).isEqualTo(new BigDecimal("-1000.00"));
      assertThat(l.getTaxCode()).isEqualTo("3040201010000000000");
    });
  }

  @Test
  void shouldDefaultWhatAHandWrittenInvoiceLeavesOut() throws Exception {
    Invoice inv = read("{\"id\": \"hand-1\", \"lines\": [{\"amount\": \" 12.50 \", \"taxExempt\": \"yes\"}], \"redLetter\": \"none\"}").get(0);

    assertThat(inv.getStatus()).isEqualTo("ISSUED");
    assertThat(inv.getSeller().getTaxId()).isNull();
    assertThat(inv.getLines()).singleElement().satisfies(l -> {
      assertThat(l.getLineNo()).isZero();
      assertThat(l.getLineKind()).isEqualTo("NORMAL");
      assertThat(l.getAmount()).isEqualTo(new BigDecimal("12.50"));
      assertThat(l.getTaxExempt()).as("anything but true, non-zero or \"true\" is false, as ever").isFalse();
    });
    assertThat(inv.getRedLetter()).as("a red-letter link that is not an object is an empty one, as ever").isNotNull();
  }

  @Test
  void shouldNameTheFieldAndTheValueThatCannotBeRead() {
    assertThat(message("{\"id\": \"x\", \"lines\": [{\"amount\": \"lots\"}]}")).isEqualTo("invoice.lines[0].amount must be a decimal number, was \"lots\"");
    assertThat(message("{\"id\": \"x\", \"lines\": [{\"amount\": true}]}")).isEqualTo("invoice.lines[0].amount must be a decimal number, was true");
    assertThat(message("{\"id\": 5}")).isEqualTo("invoice.id must be a string, was 5");
    assertThat(message("{\"invoiceNumber\": \"1\"}")).isEqualTo("invoice.id is missing: every invoice needs its id");
    assertThat(message("[{\"id\": \"a\"}, {\"id\": \"b\", \"seller\": {\"taxId\": 5}}]")).isEqualTo("[1].seller.taxId must be a string, was 5");
    assertThat(message("{\"id\": \"x\", \"lines\": [{\"lineNo\": 1.5}]}")).isEqualTo("invoice.lines[0].lineNo must be an integer, was 1.5");
    assertThat(message("{\"id\": \"x\", \"lines\": [{\"lineNo\": \"1\"}]}")).isEqualTo("invoice.lines[0].lineNo must be an integer, was \"1\"");
    assertThat(message("{\"id\": \"x\", \"redLetter\": {\"reason\": 99999999999}}"))
        .isEqualTo("invoice.redLetter.reason must be an integer, was 99999999999");
    assertThat(message("{\"id\": \"x\", \"lines\": {}}")).isEqualTo("invoice.lines is not an array");
    assertThat(message("{\"id\": \"x\", \"lines\": [null]}")).isEqualTo("invoice.lines[0] is not a JSON object");
    assertThat(message("{\"id\": \"x\", \"buyer\": \"someone\"}")).isEqualTo("invoice.buyer is not a JSON object");
    assertThat(message("{\"id\": \"x\", \"issueDate\": \"24.11.2026\"}")).isEqualTo("invoice.issueDate must be an ISO date (yyyy-MM-dd), was \"24.11.2026\"");
    assertThat(message("[3]")).isEqualTo("[0] is not a JSON object");
  }

  @Test
  void shouldNotReadTheApisSyncMetadata() throws Exception {
    assertThat(read("{\"id\": \"x\", \"sync\": \"anything\", \"lineCount\": \"at all\", \"addedLater\": {}}")).hasSize(1);
  }
}
