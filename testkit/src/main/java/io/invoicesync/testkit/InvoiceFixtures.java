package io.invoicesync.testkit;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.RedLetterLink;
import io.invoicesync.schemas.SourcePosition;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/** Known-good invoices for tests of every module (shared as this module's test-jar). */
public final class InvoiceFixtures {

  /** Valid USCCs: the two worked examples of DOMAIN.md and others computed with GB 32100-2015. */
  public static final List<String> VALID_USCC = List.of("91350100M000100Y43", "91110108551385082Q",
      "91310000MA1FL4XQ3A", "91440300MA5ETUPW89", "92330106MA2H1R5L55", "91320000134781256L");

  private InvoiceFixtures() {
  }

  public static BigDecimal money(String v) {
    return new BigDecimal(v).setScale(2, RoundingMode.HALF_UP);
  }

  /** A valid 数电票 (DIGITAL_GENERAL) with {@code lineCount} lines at 13%. */
  public static Invoice digitalInvoice(String id, int lineCount) {
    LocalDate date = LocalDate.of(2026, 11, 20);
    List<InvoiceLine> lines = new ArrayList<>();
    BigDecimal total = BigDecimal.ZERO.setScale(2);
    BigDecimal tax = BigDecimal.ZERO.setScale(2);
    for (int i = 1; i <= lineCount; i++) {
      BigDecimal qty = new BigDecimal(i).setScale(8);
      BigDecimal price = new BigDecimal("100.50").setScale(8);
      BigDecimal amount = qty.multiply(price).setScale(2, RoundingMode.HALF_UP);
      BigDecimal rate = new BigDecimal("0.1300");
      BigDecimal lineTax = amount.multiply(rate).setScale(2, RoundingMode.HALF_UP);
      lines.add(InvoiceLine.newBuilder().setLineNo(i).setItemName("*信息技术服务*软件维护 " + i).setUnit("次")
          .setQuantity(qty).setUnitPrice(price).setAmount(amount).setTaxRate(rate).setTaxAmount(lineTax)
          .setTaxCode("3040201010000000000").setLineKind("NORMAL").build());
      total = total.add(amount);
      tax = tax.add(lineTax);
    }
    return Invoice.newBuilder()
        .setId(id)
        .setInvoiceNumber("26" + "44" + "2" + String.format("%015d", Math.abs(id.hashCode()) % 1_000_000_000L))
        .setInvoiceType("DIGITAL_GENERAL")
        .setIssueDate(date)
        .setIssuedAt(date.atTime(10, 30))
        .setSeller(Party.newBuilder().setName("深圳市示例科技有限公司").setTaxId(VALID_USCC.get(3)).build())
        .setBuyer(Party.newBuilder().setName("上海某某贸易有限公司").setTaxId(VALID_USCC.get(2)).build())
        .setLines(lines)
        .setTotalAmount(total)
        .setTotalTax(tax)
        .setGrandTotal(total.add(tax))
        .setStatus("ISSUED")
        .build();
  }

  /**
   * A red-letter invoice reversing the first {@code lines} lines of {@code blue}: same type, lines
   * negated, totals their sums, linked by the blue invoice's code and number.
   */
  public static Invoice redOf(Invoice blue, String redId, int lines) {
    List<InvoiceLine> negated = new ArrayList<>();
    BigDecimal total = BigDecimal.ZERO.setScale(2);
    BigDecimal tax = BigDecimal.ZERO.setScale(2);
    for (int i = 0; i < lines; i++) {
      InvoiceLine l = blue.getLines().get(i);
      InvoiceLine n = InvoiceLine.newBuilder(l).setQuantity(l.getQuantity().negate()).setAmount(l.getAmount().negate())
          .setTaxAmount(l.getTaxAmount().negate()).build();
      negated.add(n);
      total = total.add(n.getAmount());
      tax = tax.add(n.getTaxAmount());
    }
    return Invoice.newBuilder(blue)
        .setId(redId)
        .setInvoiceNumber(blue.getInvoiceNumber().length() == 20
            ? blue.getInvoiceNumber().substring(0, 5) + String.format("%015d", Math.abs(redId.hashCode()) % 1_000_000_000L)
            : String.format("%08d", Math.abs(redId.hashCode()) % 100_000_000L))
        .setLines(negated)
        .setTotalAmount(total)
        .setTotalTax(tax)
        .setGrandTotal(total.add(tax))
        .setStatus("ISSUED")
        .setRedLetter(RedLetterLink.newBuilder().setBlueInvoiceId(blue.getId())
            .setBlueInvoiceCode(blue.getInvoiceCode()).setBlueInvoiceNumber(blue.getInvoiceNumber())
            .setBlueIssueDate(blue.getIssueDate()).setConfirmationNo("RC-" + redId).setReason(2).build())
        .build();
  }

  /**
   * When the fixtures' source transactions committed (plus their lsn in ms): the day date rules judge
   * them by, the same day as the test driver's wall clock, and the fixtures' issue dates are near it.
   */
  public static final long COMMITTED_MS = Instant.parse("2026-11-24T08:00:00Z").toEpochMilli();

  public static SourcePosition position(long lsn) {
    return SourcePosition.newBuilder().setLsn(lsn).setTxId(lsn / 10).setCommitTs(Instant.ofEpochMilli(COMMITTED_MS + lsn)).build();
  }

  /** What sync-streams emits for {@code invoice}: the given version at source position {@code lsn}. */
  public static InvoiceState synced(Invoice invoice, int version, long lsn) {
    return InvoiceState.newBuilder().setInvoice(invoice).setVersion(version).setSource(position(lsn))
        .setDigest("d".repeat(64)).setSyncedAt(Instant.now()).build();
  }

  public static InvoiceChange created(Invoice invoice, long lsn) {
    return InvoiceChange.newBuilder().setInvoiceId(invoice.getId()).setOp("CREATE").setAfter(invoice)
        .setLinesIncluded(true).setSource(position(lsn)).setCapturedAt(Instant.ofEpochMilli(COMMITTED_MS)).build();
  }

  /** A status-only change: header with the new status, no lines. */
  public static InvoiceChange statusChanged(Invoice invoice, String status, long lsn) {
    Invoice header = Invoice.newBuilder(invoice).setLines(List.of()).setStatus(status).build();
    return InvoiceChange.newBuilder().setInvoiceId(invoice.getId()).setOp("UPDATE").setAfter(header)
        .setLinesIncluded(false).setSource(position(lsn)).setCapturedAt(Instant.ofEpochMilli(COMMITTED_MS)).build();
  }
}
