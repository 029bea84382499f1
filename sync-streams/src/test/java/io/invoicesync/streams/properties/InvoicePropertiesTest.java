package io.invoicesync.streams.properties;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Topics;
import io.invoicesync.schemas.Violation;
import io.invoicesync.streams.SyncDriver;
import io.invoicesync.streams.rules.InvoiceValidator;
import io.invoicesync.schemas.TaxIds;
import io.invoicesync.streams.rules.ValidationRules;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** Properties of the rule set and the topology over generated invoices. */
class InvoicePropertiesTest {

  static final LocalDate TODAY = LocalDate.of(2026, 11, 24);
  static final String ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static final String[] RATES = {"0.13", "0.09", "0.06", "0.05", "0.03", "0.01", "0"};
  final InvoiceValidator validator = new InvoiceValidator(ValidationRules.defaults());

  // ---- generators -------------------------------------------------------------------------

  static Arbitrary<String> uscc() {
    Arbitrary<String> body = Combinators.combine(
        Arbitraries.of("91", "92", "93", "11", "12", "51", "Y1"),
        Arbitraries.strings().numeric().ofLength(6),
        Arbitraries.strings().withChars(ALPHA.toCharArray()).ofLength(9)).as((a, b, c) -> a + b + c);
    return body.map(b -> b + TaxIds.usccCheckChar(b));
  }

  static Arbitrary<InvoiceLine> line() {
    return Combinators.combine(
        Arbitraries.integers().between(1, 500),
        Arbitraries.longs().between(1, 9_999_999),
        Arbitraries.of(RATES),
        Arbitraries.integers().between(0, 9)).as((qty, cents, rate, exemptDice) -> {
          BigDecimal q = new BigDecimal(qty).setScale(8);
          BigDecimal p = BigDecimal.valueOf(cents, 2).setScale(8);
          BigDecimal amount = q.multiply(p).setScale(2, RoundingMode.HALF_UP);
          boolean exempt = exemptDice == 0;
          InvoiceLine.Builder b = InvoiceLine.newBuilder().setLineNo(0).setItemName("*商品*物品").setQuantity(q).setUnitPrice(p).setAmount(amount)
              .setLineKind("NORMAL").setTaxExempt(exempt);
          if (!exempt) {
            BigDecimal r = new BigDecimal(rate).setScale(4);
            b.setTaxRate(r).setTaxAmount(amount.multiply(r).setScale(2, RoundingMode.HALF_UP));
          }
          return b.build();
        });
  }

  @Provide
  Arbitrary<Invoice> validInvoices() {
    Arbitrary<String> type = Arbitraries.of("SPECIAL_PAPER", "GENERAL_PAPER", "SPECIAL_ELECTRONIC", "GENERAL_ELECTRONIC", "DIGITAL_SPECIAL", "DIGITAL_GENERAL");
    Arbitrary<LocalDate> date = Arbitraries.integers().between(0, 5 * 365 - 2).map(TODAY::minusDays);
    return Combinators.combine(type, date, uscc(), uscc(), line().list().ofMinSize(1).ofMaxSize(8), Arbitraries.strings().numeric().ofLength(15),
        Arbitraries.strings().numeric().ofLength(8)).as((t, d, seller, buyer, lines, seq, number8) -> {
          String yy = String.format("%02d", d.getYear() % 100);
          List<InvoiceLine> numbered = new ArrayList<>();
          BigDecimal amount = BigDecimal.ZERO.setScale(2);
          BigDecimal tax = BigDecimal.ZERO.setScale(2);
          for (int i = 0; i < lines.size(); i++) {
            InvoiceLine l = InvoiceLine.newBuilder(lines.get(i)).setLineNo(i + 1).build();
            numbered.add(l);
            amount = amount.add(l.getAmount());
            tax = tax.add(l.getTaxAmount() == null ? BigDecimal.ZERO : l.getTaxAmount());
          }
          boolean digital = t.startsWith("DIGITAL_");
          boolean special = t.contains("SPECIAL");
          return Invoice.newBuilder().setId("p-" + seq)
              .setInvoiceCode(digital ? null : "4403" + yy + "1" + (special ? "1" : "3") + "01")
              .setInvoiceNumber(digital ? yy + "442" + seq : number8)
              .setInvoiceType(t).setIssueDate(d).setIssuedAt(d.atTime(9, 0))
              .setSeller(Party.newBuilder().setName("销售方").setTaxId(seller).build())
              .setBuyer(Party.newBuilder().setName("购买方").setTaxId(buyer).build())
              .setLines(numbered).setTotalAmount(amount).setTotalTax(tax).setGrandTotal(amount.add(tax)).setStatus("ISSUED").build();
        });
  }

  /** One corruption of one field, with the rule code and field it must be reported under. */
  record Corruption(String code, String field, Consumer<Invoice> apply) {
  }

  @Provide
  Arbitrary<Corruption> corruptions() {
    return Arbitraries.of(
        new Corruption("SELLER_TAX_ID_CHECKSUM", "seller.taxId", i -> i.getSeller().setTaxId(flipLast(i.getSeller().getTaxId()))),
        new Corruption("BUYER_TAX_ID_CHECKSUM", "buyer.taxId", i -> i.getBuyer().setTaxId(flipLast(i.getBuyer().getTaxId()))),
        new Corruption("TOTAL_AMOUNT_MISMATCH", "totalAmount", i -> i.setTotalAmount(i.getTotalAmount().add(new BigDecimal("0.01")))),
        new Corruption("TOTAL_TAX_MISMATCH", "totalTax", i -> i.setTotalTax(i.getTotalTax().add(new BigDecimal("0.01")))),
        new Corruption("GRAND_TOTAL_MISMATCH", "grandTotal", i -> i.setGrandTotal(i.getGrandTotal().subtract(new BigDecimal("0.01")))),
        // beyond the 0.01 tolerance (quantity + 1 at a unit price of 0.01 would be within it)
        new Corruption("LINE_AMOUNT_MISMATCH", "lines[0].amount", i -> i.getLines().get(0).setAmount(i.getLines().get(0).getAmount().add(new BigDecimal("0.02")))),
        new Corruption("REQUIRED_FIELD_MISSING", "invoiceNumber", i -> i.setInvoiceNumber(null)),
        new Corruption("REQUIRED_FIELD_MISSING", "seller.name", i -> i.getSeller().setName(null)),
        new Corruption("INVOICE_NUMBER_FORMAT", "invoiceNumber", i -> i.setInvoiceNumber(i.getInvoiceNumber() + "0")),
        new Corruption("ISSUE_DATE_IN_FUTURE", "issueDate", i -> i.setIssueDate(TODAY.plusDays(1))),
        new Corruption("STATUS_UNKNOWN", "status", i -> i.setStatus("LOST")));
  }

  static String flipLast(String id) {
    char c = id.charAt(17);
    return id.substring(0, 17) + (c == '0' ? '1' : '0');
  }

  // ---- properties -------------------------------------------------------------------------

  @Property(tries = 500)
  void validInvoicesOfBothGenerationsAlwaysPass(@ForAll("validInvoices") Invoice invoice) {
    assertThat(validator.validate(invoice, null, TODAY)).isEmpty();
  }

  @Property(tries = 500)
  void anInvoiceWithOneFieldCorruptedIsRejectedWithThatFieldsCode(@ForAll("validInvoices") Invoice invoice,
                                                                  @ForAll("corruptions") Corruption corruption) {
    corruption.apply().accept(invoice);

    List<Violation> violations = validator.validate(invoice, null, TODAY);

    assertThat(violations).anySatisfy(v -> {
      assertThat(v.getCode()).isEqualTo(corruption.code());
      assertThat(v.getField()).isEqualTo(corruption.field());
    });
  }

  @Provide
  Arbitrary<Tuple.Tuple2<String, Object>> anyInput() {
    Arbitrary<String> junk = Arbitraries.strings().ofMaxLength(30).injectNull(0.3);
    Arbitrary<BigDecimal> money = Arbitraries.bigDecimals().between(new BigDecimal("-9999999"), new BigDecimal("9999999")).ofScale(2).injectNull(0.3);
    Arbitrary<InvoiceLine> anyLine = Combinators.combine(junk, money, money, Arbitraries.of("0.1300", "0.1700", "-1.0000", "0.0000").injectNull(0.3),
        Arbitraries.of(true, false), Arbitraries.of("NORMAL", "DISCOUNT", "?")).as((name, amount, tax, rate, exempt, kind) ->
        InvoiceLine.newBuilder().setLineNo(1).setItemName(name).setAmount(amount).setTaxAmount(tax)
            .setTaxRate(rate == null ? null : new BigDecimal(rate)).setTaxExempt(exempt).setLineKind(kind).build());
    Arbitrary<Invoice> anyInvoice = Combinators.combine(junk, junk, Arbitraries.of("DIGITAL_GENERAL", "SPECIAL_PAPER", "??").injectNull(0.2),
        Arbitraries.integers().between(-40000, 40000).map(LocalDate::ofEpochDay).injectNull(0.2), junk,
        anyLine.list().ofMaxSize(4), money, Arbitraries.of("ISSUED", "VOIDED", "RED_FLUSHED", "", "PAID")).as(
        (code, number, type, date, taxId, lines, total, status) -> Invoice.newBuilder().setId("x").setInvoiceCode(code).setInvoiceNumber(number)
            .setInvoiceType(type).setIssueDate(date).setSeller(Party.newBuilder().setTaxId(taxId).build()).setBuyer(new Party())
            .setLines(lines).setTotalAmount(total).setTotalTax(total).setGrandTotal(total).setStatus(status).build());
    Arbitrary<Object> change = Combinators.combine(anyInvoice.injectNull(0.1), Arbitraries.of("CREATE", "UPDATE", "DELETE", "SNAPSHOT", "?"),
        Arbitraries.of(true, false), Arbitraries.longs().between(0, 5)).as((inv, op, lines, lsn) ->
        (Object) InvoiceChange.newBuilder().setInvoiceId("x").setOp(op).setAfter(inv).setLinesIncluded(lines)
            .setSource(SourcePosition.newBuilder().setLsn(lsn).setCommitTs(Instant.EPOCH).build()).setCapturedAt(Instant.EPOCH).build());
    Arbitrary<Object> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(64).map(b -> (Object) b);
    return Combinators.combine(Arbitraries.of("x", "y"), Arbitraries.oneOf(change, bytes)).as(Tuple::of);
  }

  @Provide
  Arbitrary<List<Tuple.Tuple2<String, Object>>> anyInputs() {
    return anyInput().list().ofMinSize(1).ofMaxSize(30);
  }

  @Property(tries = 200)
  void noInputMakesTheTopologyThrow(@ForAll("anyInputs") List<Tuple.Tuple2<String, Object>> inputs) {
    SerdeFactory serdes = SerdeFactory.registryLess();
    try (SyncDriver sync = new SyncDriver(Map.of())) {
      TopologyTestDriver driver = sync.driver;
      TestInputTopic<String, byte[]> raw = sync.capturedRaw;
      var changeSerializer = serdes.valueSerde(InvoiceChange.class).serializer();
      TestOutputTopic<String, byte[]> dlt = sync.dlt;
      int undecodable = 0;
      for (Tuple.Tuple2<String, Object> in : inputs) {
        byte[] value;
        if (in.get2() instanceof InvoiceChange c) {
          c.setInvoiceId(in.get1());
          if (c.getAfter() != null) {
            c.getAfter().setId(in.get1());
          }
          value = changeSerializer.serialize(Topics.CAPTURED.name(), c);
        } else {
          value = (byte[]) in.get2();
          undecodable++;
        }
        raw.pipeInput(in.get1(), value); // must not throw
        driver.advanceWallClockTime(java.time.Duration.ofMinutes(1));
      }
      assertThat(dlt.getQueueSize()).as("every undecodable record is dead-lettered").isEqualTo(undecodable);
    }
  }
}
