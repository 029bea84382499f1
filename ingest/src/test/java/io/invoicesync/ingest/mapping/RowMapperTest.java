package io.invoicesync.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.Invoice;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowMapperTest {

  /** A tax-control system's encodings: pinyin columns, text dates, an amount as text, one in fen, codes, a percent rate. */
  private static final String PINYIN = """
      version: 1
      header: {table: skj.fp_kj, key: [fpdm, fphm]}
      lines: {table: skj.fp_mx, join: {fpdm: fpdm, fphm: fphm}, order: [xh]}
      invoice:
        id: {concat: [fpdm, fphm], separator: "-"}
        invoiceCode: fpdm
        invoiceNumber: fphm
        invoiceType: {column: fplx, map: {"81": DIGITAL_SPECIAL, "82": DIGITAL_GENERAL}}
        issueDate: {column: kprq, format: yyyyMMdd}
        issuedAt: {column: kpsj, format: yyyyMMddHHmmss}
        seller.taxId: xfsh
        buyer.name: gfmc
        totalAmount: hjje
        totalTax: {column: hjse, scale: 2}
        grandTotal: jshj
        status: {column: zfbz, map: {"0": ISSUED, "1": VOIDED}, default: ISSUED}
        redLetter.blueInvoiceNumber: yfp_hm
      line:
        lineNo: xh
        itemName: spmc
        amount: spje
        taxRate: {column: sl, percent: true}
        taxAmount: se
      """;

  private static Map<String, Object> header() {
    Map<String, Object> h = new HashMap<>();
    h.put("fpdm", "");
    h.put("fphm", "26442000000000000123");
    h.put("fplx", "82");
    h.put("kprq", "20261205");
    h.put("kpsj", "20261205093015");
    h.put("xfsh", "91440300MA5ETUPW89");
    h.put("gfmc", "上海某某贸易有限公司");
    h.put("hjje", "1,000.00");
    h.put("hjse", 13000L);
    h.put("jshj", new BigDecimal("1130.00"));
    h.put("zfbz", "0");
    return h;
  }

  private static Map<String, Object> line(int no, String rate) {
    return Map.of("xh", no, "spmc", "*信息技术服务*软件维护", "spje", new BigDecimal("500.00"), "sl", rate, "se", new BigDecimal("65.00"));
  }

  @Test
  void mapsATaxControlSystemsRowsToTheContractsInvoice() throws Exception {
    RowMapper.Mapped m = new RowMapper(Mapping.parse(PINYIN, "pinyin")).invoice(header()::get,
        List.of(line(1, "13%")::get, line(2, "13")::get));

    assertThat(m.problems()).isEmpty();
    Invoice inv = m.invoice();
    assertThat(inv.getId()).as("an empty code is a value not given: left out of the id").isEqualTo("26442000000000000123");
    assertThat(inv.getInvoiceCode()).isNull();
    assertThat(inv.getInvoiceType()).isEqualTo("DIGITAL_GENERAL");
    assertThat(inv.getIssueDate()).isEqualTo(LocalDate.of(2026, 12, 5));
    assertThat(inv.getIssuedAt()).isEqualTo(LocalDateTime.of(2026, 12, 5, 9, 30, 15));
    assertThat(inv.getTotalAmount()).isEqualByComparingTo("1000.00");
    assertThat(inv.getTotalAmount().scale()).isEqualTo(2);
    assertThat(inv.getTotalTax()).as("fen").isEqualByComparingTo("130.00");
    assertThat(inv.getGrandTotal()).isEqualByComparingTo("1130.00");
    assertThat(inv.getStatus()).isEqualTo("ISSUED");
    assertThat(inv.getSeller().getTaxId()).isEqualTo("91440300MA5ETUPW89");
    assertThat(inv.getSeller().getName()).as("not mapped: absent").isNull();
    assertThat(inv.getRedLetter()).as("no original invoice: a blue one").isNull();
    assertThat(inv.getLines()).extracting(l -> l.getLineNo(), l -> l.getTaxRate(), l -> l.getLineKind())
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, new BigDecimal("0.1300"), "NORMAL"),
            org.assertj.core.groups.Tuple.tuple(2, new BigDecimal("0.1300"), "NORMAL"));
  }

  @Test
  void aCodeNotInTheMapTakesTheDefaultAndARedOneLinksItsBlueInvoice() throws Exception {
    Map<String, Object> h = header();
    h.put("zfbz", "9");
    h.put("fplx", "99");
    h.put("yfp_hm", "26442000000000000100");
    RowMapper.Mapped m = new RowMapper(Mapping.parse(PINYIN, "pinyin")).invoice(h::get, List.of());
    assertThat(m.invoice().getStatus()).isEqualTo("ISSUED");
    assertThat(m.invoice().getInvoiceType()).as("no default: the code stays, and validation names it").isEqualTo("99");
    assertThat(m.invoice().getRedLetter().getBlueInvoiceNumber()).isEqualTo("26442000000000000100");
  }

  @Test
  void aValueThatCannotBeReadIsAProblemNamingTheFieldTheColumnAndTheValueNotAnException() throws Exception {
    Map<String, Object> h = header();
    h.put("kprq", "2026-12-05");
    h.put("hjje", "一千元");
    RowMapper.Mapped m = new RowMapper(Mapping.parse(PINYIN, "pinyin")).invoice(h::get, List.of(line(1, "thirteen")::get));
    assertThat(m.invoice()).isNotNull();
    assertThat(m.invoice().getIssueDate()).isNull();
    assertThat(m.invoice().getTotalAmount()).isNull();
    assertThat(m.problems()).extracting(RowMapper.Problem::toString).containsExactlyInAnyOrder(
        "invoice.issueDate (kprq = '2026-12-05'): not a date in the format yyyyMMdd",
        "invoice.totalAmount (hjje = '一千元'): not a number",
        "line.taxRate (sl = 'thirteen'): not a number");
  }

  @Test
  void withoutAnIdThereIsNoInvoiceOnlyTheProblem() throws Exception {
    Map<String, Object> h = header();
    h.put("fphm", null);
    RowMapper.Mapped m = new RowMapper(Mapping.parse(PINYIN, "pinyin")).invoice(h::get, List.of());
    assertThat(m.invoice()).isNull();
    assertThat(m.problems()).extracting(RowMapper.Problem::field).containsExactly("invoice.id");
  }

  @Test
  void theReferenceMappingReadsTheReferenceSchemasJdbcValues() {
    Map<String, Object> h = new HashMap<>();
    h.put("id", "ref-1");
    h.put("invoice_number", "26442000000000000001");
    h.put("issue_date", java.sql.Date.valueOf("2026-12-05"));
    h.put("issued_at", java.sql.Timestamp.valueOf("2026-12-05 10:00:00"));
    h.put("grand_total", new BigDecimal("1130.00"));
    h.put("status", "ISSUED");
    h.put("red_reason", (short) 1);
    h.put("blue_invoice_id", "ref-0");
    Map<String, Object> l = new HashMap<>();
    l.put("line_no", 1);
    l.put("tax_exempt", false);
    l.put("quantity", new BigDecimal("2"));
    RowMapper.Mapped m = new RowMapper(Mapping.reference()).invoice(h::get, List.of(l::get));
    assertThat(m.problems()).isEmpty();
    assertThat(m.invoice().getIssueDate()).isEqualTo(LocalDate.of(2026, 12, 5));
    assertThat(m.invoice().getIssuedAt()).isEqualTo(LocalDateTime.of(2026, 12, 5, 10, 0));
    assertThat(m.invoice().getRedLetter().getReason()).isEqualTo(1);
    assertThat(m.invoice().getLines().get(0).getQuantity()).isEqualTo(new BigDecimal("2.00000000"));
  }
}
