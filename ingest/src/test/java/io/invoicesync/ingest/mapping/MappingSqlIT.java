package io.invoicesync.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.testkit.IssuingInvoice;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mapping as SQL computes, inside PostgreSQL, what {@link RowMapper} computes from the same rows:
 * on the pinyin tables with awkward values (separators and a yuan sign, fen, a day past the month's
 * end, a thirteenth month, a code the map lacks, blank text, percent strings, letters where numbers
 * belong), read through their text and through their types; and on the reference tables through the
 * reference mapping, where it must equal the columns themselves.
 */
class MappingSqlIT {

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static Mapping pinyin;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute(resource("examples/pinyin.sql"));
      String h = "INSERT INTO skj.fp_kj (fpdm, fphm, fplx, kprq, kpsj, xfsh, xfmc, gfsh, gfmc, hjje, hjse, jshj, kplx, fpzt, yfp_dm, yfp_hm, bz) VALUES ";
      s.execute(h + "('', '26442000000000000001', '82', '20261206', '20261206093000', '91440300MA5ETUPW89', '深圳', '91310000MA1FL4XQ3A', "
          + "'上海', '1,000.00', 13000, 1130.00, '0', '0', NULL, NULL, NULL)");
      s.execute(h + "('044031900111', '12345678', '04', '20260230', '20260230235959', ' 9144 ', 'x', '  ', NULL, '￥2,345.675', 30506, "
          + "2651.19, '1', ' ', '044031900111', '87654321', '冲红')"); // Feb 30: java.time's smart resolver makes it the 28th
      s.execute(h + "('  ', 'X-1', '99', '20261301', 'notatime', NULL, NULL, NULL, NULL, 'abc', NULL, NULL, NULL, '2', '', '', '')");
      s.execute(h + "(NULL, '9', NULL, '20240229', '20240229120000', 'a', 'b', 'c', 'd', '-12.5', -1250, -12.50, '0', NULL, NULL, NULL, 'x')");
      String l = "INSERT INTO skj.fp_mx (fpdm, fphm, xh, spmc, ggxh, dw, spsl, spdj, spje, sl, se, spbm) VALUES ";
      s.execute(l + "('', '26442000000000000001', 1, '*信息技术服务*软件维护', NULL, '次', 1, 1000, 1000.00, '13%', 130.00, '304')");
      s.execute(l + "('', '26442000000000000001', 2, '服务', '', '', 2.123456789, 0.5, 1.06, ' 6 % ', 0.06, '')");
      s.execute(l + "('044031900111', '12345678', 1, 'a', 'b', 'c', NULL, NULL, 2345.68, '9', 211.11, NULL)");
      s.execute(l + "('  ', 'X-1', 1, NULL, NULL, NULL, NULL, NULL, NULL, 'free', NULL, NULL)");
      s.execute(l + "(NULL, '9', 3, 'z', NULL, NULL, -1, 12.5, -12.50, '0.13', -1.63, NULL)");
    }
    try (Connection c = pg.connect("issuing")) {
      c.setAutoCommit(false);
      for (int i = 1; i <= 2; i++) {
        IssuingInvoice.digital("ref-" + i, "2644200000000000010" + i).issued(LocalDateTime.of(2026, 12, 6, 9, 30))
            .seller(IssuingInvoice.SELLER_NAME, IssuingInvoice.SELLER_TAX_ID).buyer(IssuingInvoice.BUYER_NAME, IssuingInvoice.BUYER_TAX_ID)
            .totals(new BigDecimal("1000.00"), new BigDecimal("130.00"), new BigDecimal("1130.00"))
            .line(IssuingInvoice.Line.service(BigDecimal.ONE, new BigDecimal("1000"), new BigDecimal("1000.00"), new BigDecimal("130.00")))
            .line(IssuingInvoice.Line.service(new BigDecimal("2.5"), new BigDecimal("0.4"), new BigDecimal("1.00"), new BigDecimal("0.13")))
            .insert(c);
        c.commit();
      }
    }
    pinyin = Mapping.parse(resource("examples/pinyin.yaml"), "pinyin.yaml");
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  static String resource(String name) throws Exception {
    try (InputStream in = Objects.requireNonNull(MappingSqlIT.class.getResourceAsStream("/io/invoicesync/ingest/mapping/" + name), name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void computesThePinyinTablesAsTheMapperDoesThroughTheirText() throws Exception {
    assertSameAsMapper(new MappingSql(pinyin));
  }

  @Test
  void computesThePinyinTablesAsTheMapperDoesThroughTheirTypes() throws Exception {
    assertSameAsMapper(new MappingSql(pinyin, types("skj", "fp_kj"), types("skj", "fp_mx")));
  }

  @Test
  void theReferenceMappingReadsTheReferenceTablesAsTheyAre() throws Exception {
    MappingSql sql = new MappingSql(Mapping.reference(), types("issuing", "invoice"), types("issuing", "invoice_line"));
    String cols = "id, invoice_code, invoice_number, invoice_type, issue_date, seller_tax_id, buyer_tax_id, total_amount, total_tax, "
        + "grand_total, status, risk_flag, blue_invoice_number, updated_at";
    assertThat(rows("SELECT " + cols + " FROM " + sql.header() + " h ORDER BY id"))
        .isEqualTo(rows("SELECT " + cols + " FROM issuing.invoice ORDER BY id")).hasSize(2);
    String lineCols = "invoice_id, line_no, item_name, quantity, unit_price, amount, tax_rate, tax_amount, tax_exempt, line_kind";
    assertThat(rows("SELECT " + lineCols + " FROM " + sql.lines() + " l ORDER BY 1, 2"))
        .isEqualTo(rows("SELECT " + lineCols + " FROM issuing.invoice_line ORDER BY 1, 2")).isNotEmpty();
    assertThat(rows("SELECT " + sql.id() + " FROM issuing.invoice WHERE " + sql.id() + " IN ('ref-2')")).containsExactly(List.of("ref-2"));
  }

  @Test
  void aFormatTheDatabaseCannotReadIsNamedWithItsField() throws Exception {
    Mapping m = Mapping.parse(resource("examples/pinyin.yaml").replace("format: yyyyMMdd}", "format: 'dd MMM yyyy'}"), "t.yaml");
    assertThatThrownBy(() -> new MappingSql(m)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invoice.issueDate").hasMessageContaining("MMM");
  }

  private static void assertSameAsMapper(MappingSql sql) throws Exception {
    RowMapper mapper = new RowMapper(pinyin);
    Map<String, List<Object>> expected = new LinkedHashMap<>();
    Map<String, List<List<Object>>> expectedLines = new HashMap<>();
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      List<RowMapper.Row> lineRows = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT * FROM skj.fp_mx ORDER BY fphm, xh")) {
        while (rs.next()) {
          lineRows.add(row(rs));
        }
      }
      for (RowMapper.Row lr : lineRows) {
        InvoiceLine line = mapper.line(lr, new ArrayList<>());
        expectedLines.computeIfAbsent(mapper.invoiceIdOfLine(lr), k -> new ArrayList<>()).add(List.of(String.valueOf(line.getLineNo()),
            str(line.getItemName()), str(line.getQuantity()), str(line.getUnitPrice()), str(line.getAmount()), str(line.getTaxRate()),
            str(line.getTaxAmount()), String.valueOf(line.getTaxExempt()), line.getLineKind()));
      }
      try (ResultSet rs = s.executeQuery("SELECT * FROM skj.fp_kj ORDER BY fphm")) {
        while (rs.next()) {
          Invoice i = mapper.invoice(row(rs), List.of()).invoice();
          assertThat(i).as("every fixture row has an id").isNotNull();
          expected.put(i.getId(), List.of(str(i.getInvoiceCode()), str(i.getInvoiceNumber()), str(i.getInvoiceType()), str(i.getIssueDate()),
              str(i.getSeller().getTaxId()), str(i.getBuyer().getTaxId()), str(i.getTotalAmount()), str(i.getTotalTax()),
              str(i.getGrandTotal()), i.getStatus(), str(i.getRiskFlag()),
              str(i.getRedLetter() == null ? null : i.getRedLetter().getBlueInvoiceNumber())));
        }
      }
    }
    Map<String, List<Object>> actual = new LinkedHashMap<>();
    for (List<Object> r : rows("SELECT id, invoice_code, invoice_number, invoice_type, issue_date, seller_tax_id, buyer_tax_id, total_amount, "
        + "total_tax, grand_total, status, risk_flag, blue_invoice_number FROM " + sql.header() + " h ORDER BY invoice_number")) {
      actual.put((String) r.get(0), r.subList(1, r.size()));
    }
    assertThat(actual).isEqualTo(expected);
    assertThat(actual.get("044031900111-12345678").get(3)).as("Feb 30, smart").isEqualTo("2026-02-28");
    assertThat(actual.get("044031900111-12345678").get(6)).as("yuan sign, separators, rounded half up").isEqualTo("2345.68");
    assertThat(actual.get("X-1").get(3)).as("a thirteenth month: no date").isEqualTo("null");

    Map<String, List<List<Object>>> actualLines = new HashMap<>();
    for (List<Object> r : rows("SELECT invoice_id, line_no, item_name, quantity, unit_price, amount, tax_rate, tax_amount, tax_exempt, line_kind FROM "
        + sql.lines() + " l ORDER BY invoice_id, line_no")) {
      actualLines.computeIfAbsent((String) r.get(0), k -> new ArrayList<>()).add(r.subList(1, r.size()));
    }
    assertThat(actualLines).isEqualTo(expectedLines);
    assertThat(actualLines.get("26442000000000000001").get(1).get(5)).as("' 6 % '").isEqualTo("0.0600");

    // the id over the table's own columns: what resync's condition and --where read
    assertThat(rows("SELECT " + sql.id() + " FROM skj.fp_kj WHERE " + sql.id() + " IN ('044031900111-12345678', '9')"))
        .containsExactlyInAnyOrder(List.of("044031900111-12345678"), List.of("9"));
  }

  private static RowMapper.Row row(ResultSet rs) throws SQLException {
    Map<String, Object> values = new HashMap<>();
    ResultSetMetaData md = rs.getMetaData();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      values.put(md.getColumnName(i), rs.getObject(i));
    }
    return values::get;
  }

  private static String str(Object o) {
    return o instanceof BigDecimal b ? b.toPlainString() : String.valueOf(o);
  }

  private static Map<String, String> types(String schema, String table) throws SQLException {
    Map<String, String> out = new HashMap<>();
    try (Connection c = pg.connect("issuing");
         PreparedStatement ps = c.prepareStatement("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ?")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  /** Every row, every value as text ("null" for NULL): compared as a clerk would read them. */
  private static List<List<Object>> rows(String sql) throws SQLException {
    List<List<Object>> out = new ArrayList<>();
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> r = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          Object o = rs.getObject(i);
          r.add(o instanceof java.sql.Date d ? d.toLocalDate().toString() : str(o));
        }
        out.add(r);
      }
    }
    return out;
  }
}
