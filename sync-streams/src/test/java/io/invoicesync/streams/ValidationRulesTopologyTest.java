package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Violation;
import io.invoicesync.testkit.InvoiceFixtures;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every stateless rule of DOMAIN.md through the topology: a passing invoice, and each failing case with its code and field. */
class ValidationRulesTopologyTest {

  private final SerdeFactory serdes = SerdeFactory.registryLess();

  private SyncDriver sync;

  @BeforeEach
  void setUp() {
    sync = new SyncDriver(Map.of());
  }

  @AfterEach
  void tearDown() {
    sync.close();
  }

  /** A valid tax-control paper special invoice: 10-digit code (digit 8 = 1: special), 8-digit number. */
  static Invoice paperSpecial() {
    Invoice inv = InvoiceFixtures.digitalInvoice("paper", 2);
    inv.setInvoiceType("SPECIAL_PAPER");
    inv.setInvoiceCode("4403261101");
    inv.setInvoiceNumber("00012345");
    return inv;
  }

  static Stream<Arguments> failingCases() {
    return Stream.of(
        c("no invoice number", i -> i.setInvoiceNumber(null), "REQUIRED_FIELD_MISSING", "invoiceNumber"),
        c("unknown type", i -> i.setInvoiceType("VAT_PLUS"), "INVOICE_TYPE_UNKNOWN", "invoiceType"),
        c("no issue date", i -> i.setIssueDate(null), "REQUIRED_FIELD_MISSING", "issueDate"),
        c("数电票 without date-time", i -> i.setIssuedAt(null), "REQUIRED_FIELD_MISSING", "issuedAt"),
        c("no seller name", i -> i.getSeller().setName(" "), "REQUIRED_FIELD_MISSING", "seller.name"),
        c("no lines", i -> i.setLines(new java.util.ArrayList<>()), "REQUIRED_FIELD_MISSING", "lines"),
        c("line without item", i -> i.getLines().get(0).setItemName(null), "REQUIRED_FIELD_MISSING", "lines[0].itemName"),
        c("unknown line kind", i -> i.getLines().get(1).setLineKind("FREEBIE"), "LINE_KIND_UNKNOWN", "lines[1].lineKind"),
        c("数电票 number of 19 digits", i -> i.setInvoiceNumber("2644200000000000001"), "INVOICE_NUMBER_FORMAT", "invoiceNumber"),
        c("数电票 number of another year", i -> i.setInvoiceNumber("25442000000000000001"), "DIGITAL_NUMBER_YEAR_MISMATCH", "invoiceNumber"),
        c("数电票 with a code", i -> i.setInvoiceCode("4403261101"), "INVOICE_CODE_FORMAT", "invoiceCode"),
        c("seller USCC check character", i -> i.getSeller().setTaxId("91350100M000100Y44"), "SELLER_TAX_ID_CHECKSUM", "seller.taxId"),
        c("buyer tax id of 16 characters", i -> i.getBuyer().setTaxId("9131000MA1FL4XQ3"), "BUYER_TAX_ID_FORMAT", "buyer.taxId"),
        c("resident id check", i -> i.getBuyer().setTaxId("110105194912310021"), "BUYER_TAX_ID_CHECKSUM", "buyer.taxId"),
        c("quantity x price", i -> i.getLines().get(0).setAmount(i.getLines().get(0).getAmount().add(new BigDecimal("0.02"))),
            "LINE_AMOUNT_MISMATCH", "lines[0].amount"),
        c("17% is no rate", i -> i.getLines().get(0).setTaxRate(new BigDecimal("0.1700")), "TAX_RATE_INVALID", "lines[0].taxRate"),
        c("line tax", i -> i.getLines().get(1).setTaxAmount(i.getLines().get(1).getTaxAmount().add(new BigDecimal("0.07"))),
            "LINE_TAX_MISMATCH", "lines[1].taxAmount"),
        c("exempt line with tax", i -> i.getLines().get(0).setTaxExempt(true), "TAX_EXEMPT_WITH_TAX", "lines[0].taxAmount"),
        c("total amount", i -> i.setTotalAmount(i.getTotalAmount().add(new BigDecimal("0.01"))), "TOTAL_AMOUNT_MISMATCH", "totalAmount"),
        c("total tax", i -> i.setTotalTax(i.getTotalTax().subtract(new BigDecimal("0.01"))), "TOTAL_TAX_MISMATCH", "totalTax"),
        c("grand total", i -> i.setGrandTotal(i.getGrandTotal().add(BigDecimal.ONE)), "GRAND_TOTAL_MISMATCH", "grandTotal"),
        c("issued tomorrow", i -> i.setIssueDate(LocalDate.of(2026, 11, 25)), "ISSUE_DATE_IN_FUTURE", "issueDate"),
        c("issued six years ago", i -> {
          i.setIssueDate(LocalDate.of(2020, 11, 20));
          i.setInvoiceNumber("20" + i.getInvoiceNumber().substring(2));
        }, "ISSUE_DATE_TOO_OLD", "issueDate"),
        c("unknown status", i -> i.setStatus("PAID"), "STATUS_UNKNOWN", "status"),
        c("voided electronic invoice", i -> i.setStatus("VOIDED"), "ELECTRONIC_VOID_NOT_ALLOWED", "status"),
        c("negative totals without link", i -> {
          i.getLines().forEach(l -> {
            l.setQuantity(l.getQuantity().negate());
            l.setAmount(l.getAmount().negate());
            l.setTaxAmount(l.getTaxAmount().negate());
          });
          i.setTotalAmount(i.getTotalAmount().negate());
          i.setTotalTax(i.getTotalTax().negate());
          i.setGrandTotal(i.getGrandTotal().negate());
        }, "RED_LINK_MISSING", "redLetter"),
        c("red invoice with positive totals", i -> i.setRedLetter(io.invoicesync.schemas.RedLetterLink.newBuilder()
            .setBlueInvoiceNumber("26442000000000000001").setReason(1).build()), "RED_AMOUNT_NOT_NEGATIVE", "grandTotal"),
        c("red reason 5", i -> i.setRedLetter(io.invoicesync.schemas.RedLetterLink.newBuilder()
            .setBlueInvoiceNumber("26442000000000000001").setReason(5).build()), "RED_REASON_INVALID", "redLetter.reason"));
  }

  static Arguments c(String name, Consumer<Invoice> corrupt, String code, String field) {
    return Arguments.of(name, corrupt, code, field);
  }

  static Stream<Arguments> paperCases() {
    return Stream.of(
        c("paper without code", i -> i.setInvoiceCode(null), "INVOICE_CODE_FORMAT", "invoiceCode"),
        c("paper number of 20 digits", i -> i.setInvoiceNumber("26442000000000000001"), "INVOICE_NUMBER_FORMAT", "invoiceNumber"),
        c("10-digit code of a general invoice on a special one", i -> i.setInvoiceCode("4403261301"), "INVOICE_CODE_KIND_MISMATCH", "invoiceCode"),
        c("12-digit code of another year", i -> i.setInvoiceCode("044031800111"), "INVOICE_CODE_YEAR_MISMATCH", "invoiceCode"),
        c("12-digit code not starting with 0", i -> i.setInvoiceCode("144032600111"), "INVOICE_CODE_FORMAT", "invoiceCode"),
        c("special invoice without buyer tax id", i -> i.getBuyer().setTaxId(null), "REQUIRED_FIELD_MISSING", "buyer.taxId"));
  }

  @Test
  void shouldPassValidInvoicesOfBothGenerations() {
    sync.captured.pipeInput("digital", InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("digital", 3), 10));
    Invoice paper = paperSpecial();
    sync.captured.pipeInput("paper", InvoiceFixtures.created(paper, 20));
    Invoice twelve = paperSpecial();
    twelve.setId("twelve");
    twelve.setInvoiceCode("044032600111");
    sync.captured.pipeInput("twelve", InvoiceFixtures.created(twelve, 30));

    assertThat(sync.synced.readValuesToList()).extracting(s -> s.getInvoice().getId()).containsExactly("digital", "paper", "twelve");
    assertThat(sync.rejected.isEmpty()).isTrue();
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("failingCases")
  void shouldRejectADigitalInvoiceWithTheRulesCodeAndField(String name, Consumer<Invoice> corrupt, String code, String field) {
    assertRejected(InvoiceFixtures.digitalInvoice("d-1", 2), corrupt, code, field);
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("paperCases")
  void shouldRejectAPaperInvoiceWithTheRulesCodeAndField(String name, Consumer<Invoice> corrupt, String code, String field) {
    assertRejected(paperSpecial(), corrupt, code, field);
  }

  @Test
  void shouldRejectVoidingAPaperInvoiceAfterItsMonthOfIssue() {
    Invoice paper = paperSpecial();
    paper.setIssueDate(LocalDate.of(2026, 10, 30));
    paper.setInvoiceCode("4403261101");
    sync.captured.pipeInput("paper", InvoiceFixtures.created(paper, 10));

    sync.captured.pipeInput("paper", InvoiceFixtures.statusChanged(paper, "VOIDED", 20));

    assertThat(sync.rejected.readValue().getViolations()).extracting(Violation::getCode).containsExactly("PAPER_VOID_OUTSIDE_MONTH");
  }

  @Test
  void aPaperInvoiceReadAlreadyVoidedIsNotJudgedByTheDayItIsRead() {
    // an initial snapshot, a history load or the platform's export reads it months later: when it was voided is not known
    Invoice paper = paperSpecial();
    paper.setIssueDate(LocalDate.of(2026, 10, 30));
    paper.setInvoiceCode("4403261101");
    paper.setStatus("VOIDED");
    sync.captured.pipeInput("paper", InvoiceChange.newBuilder(InvoiceFixtures.created(paper, 10)).setOp("SNAPSHOT").build());

    assertThat(sync.rejected.isEmpty()).isTrue();
    assertThat(sync.synced.readValue().getInvoice().getStatus()).isEqualTo("VOIDED");
  }

  private void assertRejected(Invoice inv, Consumer<Invoice> corrupt, String code, String field) {
    corrupt.accept(inv);
    sync.captured.pipeInput(inv.getId(), InvoiceFixtures.created(inv, 10));

    assertThat(sync.synced.isEmpty()).as("not synced").isTrue();
    InvoiceRejected r = sync.rejected.readValue();
    assertThat(r.getViolations()).as("violations").anySatisfy(v -> {
      assertThat(v.getCode()).isEqualTo(code);
      assertThat(v.getField()).isEqualTo(field);
      assertThat(v.getMessage()).isNotBlank();
    });
  }
}
