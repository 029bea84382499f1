package io.invoicesync.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** What the builder writes, row by row, on a recording connection (no database). */
class IssuingInvoiceTest {

  static final LocalDateTime AT = LocalDateTime.of(2026, 11, 20, 10, 0);

  /** A written row: the statement's table and its parameters by position. */
  record Row(String sql, Map<Integer, Object> values) {
  }

  /** A connection in a transaction (autocommit off unless told) that records each row its prepared statements write. */
  static Connection recording(List<Row> rows, boolean autoCommit) {
    return (Connection) Proxy.newProxyInstance(IssuingInvoiceTest.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getAutoCommit" -> autoCommit;
          case "prepareStatement" -> statement((String) args[0], rows);
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  static PreparedStatement statement(String sql, List<Row> rows) {
    Map<Integer, Object> values = new TreeMap<>();
    return (PreparedStatement) Proxy.newProxyInstance(IssuingInvoiceTest.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
        (proxy, method, args) -> {
          String name = method.getName();
          if (name.startsWith("set")) {
            values.put((Integer) args[0], args[1]);
            return null;
          }
          return switch (name) {
            case "executeUpdate" -> {
              rows.add(new Row(sql, new TreeMap<>(values)));
              yield 1;
            }
            case "addBatch" -> {
              rows.add(new Row(sql, new TreeMap<>(values)));
              yield null;
            }
            case "executeBatch" -> new int[0];
            case "close" -> null;
            default -> throw new UnsupportedOperationException(name);
          };
        });
  }

  static List<Object> values(Row row) {
    return new ArrayList<>(row.values().values());
  }

  static BigDecimal d(String v) {
    return new BigDecimal(v);
  }

  @Test
  void shouldWriteTheHeaderWithTheSharedDefaultsThenItsLinesNumberedFromOne() throws Exception {
    // Given a digital invoice of two service lines
    List<Row> rows = new ArrayList<>();
    IssuingInvoice invoice = IssuingInvoice.digital("inv-1", "26442000000000000001").issued(AT)
        .totals(d("1000.00"), d("130.00"), d("1130.00"))
        .line(IssuingInvoice.Line.service(BigDecimal.ONE, d("600"), d("600.00"), d("78.00")))
        .line(IssuingInvoice.Line.service(BigDecimal.ONE, d("400"), d("400.00"), d("52.00")));

    // When it is inserted
    invoice.insert(recording(rows, false));

    // Then the header carries the defaults (no red-letter link), and each line its number
    assertThat(rows).hasSize(3);
    assertThat(rows.get(0).sql()).startsWith("INSERT INTO issuing.invoice (");
    assertThat(values(rows.get(0))).containsExactly("inv-1", "26442000000000000001", "DIGITAL_GENERAL", AT.toLocalDate(), AT,
        "深圳市示例科技有限公司", "91440300MA5ETUPW89", "上海某某贸易有限公司", "91310000MA1FL4XQ3A", d("1000.00"), d("130.00"),
        d("1130.00"), "ISSUED", null, null, null, null);
    assertThat(rows.get(1).sql()).startsWith("INSERT INTO issuing.invoice_line (");
    assertThat(values(rows.get(1))).containsExactly("inv-1", 1, "*信息技术服务*软件维护", "次", BigDecimal.ONE, d("600"), d("600.00"),
        d("0.13"), d("78.00"), "3040201010000000000");
    assertThat(rows.get(2).values()).containsEntry(2, 2).containsEntry(7, d("400.00"));
  }

  @Test
  void shouldWriteARedLetterLinkABuyerWithoutTaxIdAndALineWithoutUnit() throws Exception {
    List<Row> rows = new ArrayList<>();
    IssuingInvoice.digital("red-1", "26442000000000000002").issued(AT).buyer("张三").status(IssuingInvoice.Status.ISSUED)
        .totals(d("-100.00"), d("-13.00"), d("-113.00")).redOf("26442000000000000001", LocalDate.of(2026, 11, 19), "RCred-1", 2)
        .line(IssuingInvoice.Line.service(BigDecimal.ONE.negate(), d("100"), d("-100.00"), d("-13.00")).item("*软件*维护").withoutUnit())
        .insert(recording(rows, false));

    List<Object> header = values(rows.get(0));
    assertThat(header.subList(7, 9)).containsExactly("张三", null);
    assertThat(header.subList(13, 17)).containsExactly("26442000000000000001", LocalDate.of(2026, 11, 19), "RCred-1", (short) 2);
    assertThat(values(rows.get(1)).subList(2, 4)).containsExactly("*软件*维护", null);
  }

  @Test
  void shouldRefuseToInsertWithoutIssueTimeOrTotalsNamingWhatIsMissing() {
    List<Row> rows = new ArrayList<>();
    assertThatThrownBy(() -> IssuingInvoice.digital("inv-1", "1").totals(d("1"), d("0"), d("1")).insert(recording(rows, false)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("issued(at)");
    assertThatThrownBy(() -> IssuingInvoice.digital("inv-1", "1").issued(AT).insert(recording(rows, false)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("totals(");
    assertThat(rows).isEmpty();
  }

  @Test
  void shouldRefuseAConnectionInAutocommitSoThatAHeaderIsNeverCommittedWithoutItsLines() {
    List<Row> rows = new ArrayList<>();
    assertThatThrownBy(() -> IssuingInvoice.digital("inv-1", "1").issued(AT).totals(d("1"), d("0"), d("1")).insert(recording(rows, true)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("autocommit");
    assertThat(rows).isEmpty();
  }

  @Test
  void shouldRefuseInputsItCannotWriteSayingWhichOne() {
    assertThatThrownBy(() -> IssuingInvoice.digital(" ", "1")).hasMessageContaining("id");
    assertThatThrownBy(() -> IssuingInvoice.digital("inv-1", "1").redOf("2", LocalDate.of(2026, 1, 1), "RC", 5))
        .hasMessageContaining("red reason").hasMessageContaining("5");
    assertThatThrownBy(() -> IssuingInvoice.digital("inv-1", "1").buyer("x", null)).hasMessageContaining("buyer tax id");
    assertThatThrownBy(() -> IssuingInvoice.Line.service(null, d("1"), d("1"), d("0"))).hasMessageContaining("quantity");
  }
}
