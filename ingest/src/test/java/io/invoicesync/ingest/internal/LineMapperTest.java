package io.invoicesync.ingest.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.debezium.data.VariableScaleDecimal;
import io.invoicesync.schemas.InvoiceLine;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/** One line table row, streamed by Debezium or read by JDBC after a snapshot, becomes the same {@link InvoiceLine}. */
class LineMapperTest {

  private static final Schema LINE = SchemaBuilder.struct().name("issuing.invoice_line.Value")
      .field("invoice_id", Schema.STRING_SCHEMA)
      .field("line_no", Schema.INT32_SCHEMA)
      .field("item_name", Schema.STRING_SCHEMA)
      .field("specification", Schema.OPTIONAL_STRING_SCHEMA)
      .field("unit", Schema.OPTIONAL_STRING_SCHEMA)
      .field("quantity", Decimal.builder(8).optional().build())
      .field("unit_price", Decimal.builder(8).optional().build())
      .field("amount", Decimal.builder(2).build())
      .field("tax_rate", Decimal.builder(4).optional().build())
      .field("tax_exempt", Schema.BOOLEAN_SCHEMA)
      .field("tax_amount", Decimal.builder(2).optional().build())
      .field("tax_code", Schema.OPTIONAL_STRING_SCHEMA)
      .field("line_kind", Schema.OPTIONAL_STRING_SCHEMA)
      .build();

  @Test
  void shouldMapAStreamedRowAtTheContractsScales() {
    // Given a row as Debezium streams it, amounts at the table's scales
    Struct row = new Struct(LINE);
    columns().forEach(row::put);

    // When
    InvoiceLine line = LineMapper.fromEvent(row);

    // Then
    assertThat(line.getLineNo()).isEqualTo(2);
    assertThat(line.getItemName()).isEqualTo("*信息技术服务*软件维护");
    assertThat(line.getSpecification()).isNull();
    assertThat(line.getUnit()).isEqualTo("次");
    assertThat(line.getQuantity()).isEqualTo(new BigDecimal("3.00000000"));
    assertThat(line.getUnitPrice()).isEqualTo(new BigDecimal("100.00000000"));
    assertThat(line.getAmount()).isEqualTo(new BigDecimal("300.00"));
    assertThat(line.getTaxRate()).isEqualTo(new BigDecimal("0.0600"));
    assertThat(line.getTaxExempt()).isFalse();
    assertThat(line.getTaxAmount()).isEqualTo(new BigDecimal("18.00"));
    assertThat(line.getTaxCode()).isEqualTo("3040201000000000000");
    assertThat(line.getLineKind()).isEqualTo("DISCOUNTED");
  }

  @Test
  void shouldMapARowReadByJdbcToTheSameLineAsTheRowStreamed() throws SQLException {
    // Given the same row, streamed and read by JDBC
    Struct streamed = new Struct(LINE);
    columns().forEach(streamed::put);
    ResultSet read = resultSet(columns());

    // When / Then
    assertThat(LineMapper.fromResult(read)).isEqualTo(LineMapper.fromEvent(streamed));
  }

  @Test
  void shouldTakeALineWithoutAKindAsNormal() throws SQLException {
    Map<String, Object> columns = columns();
    columns.put("line_kind", null);
    Struct streamed = new Struct(LINE);
    columns.forEach(streamed::put);

    assertThat(LineMapper.fromEvent(streamed).getLineKind()).isEqualTo("NORMAL");
    assertThat(LineMapper.fromResult(resultSet(columns)).getLineKind()).isEqualTo("NORMAL");
  }

  @Test
  void shouldReadColumnsAnEventLacksAsNullForValidationToJudge() {
    // Given a line table without the optional columns
    Schema narrow = SchemaBuilder.struct().field("line_no", Schema.INT32_SCHEMA).field("item_name", Schema.STRING_SCHEMA)
        .field("amount", Decimal.builder(2).build()).build();
    Struct row = new Struct(narrow).put("line_no", 1).put("item_name", "item").put("amount", new BigDecimal("5.00"));

    // When
    InvoiceLine line = LineMapper.fromEvent(row);

    // Then
    assertThat(line.getAmount()).isEqualTo(new BigDecimal("5.00"));
    assertThat(line.getTaxRate()).isNull();
    assertThat(line.getTaxCode()).isNull();
    assertThat(line.getTaxExempt()).isFalse();
    assertThat(line.getLineKind()).isEqualTo("NORMAL");
  }

  @Test
  void shouldFailOnAColumnAJdbcRowLacks() {
    Map<String, Object> columns = columns();
    columns.remove("tax_code");

    assertThatThrownBy(() -> LineMapper.fromResult(resultSet(columns))).isInstanceOf(SQLException.class).hasMessageContaining("tax_code");
  }

  @Test
  void shouldReadDebeziumsVariableScaleDecimalAtTheContractsScale() {
    Struct value = VariableScaleDecimal.fromLogical(VariableScaleDecimal.schema(), new BigDecimal("0.125"));

    assertThat(LineMapper.decimal(value, 2)).isEqualTo(new BigDecimal("0.13"));
    assertThat(LineMapper.decimal(7L, 2)).isEqualTo(new BigDecimal("7.00"));
    assertThat(LineMapper.decimal(null, 2)).isNull();
  }

  private static Map<String, Object> columns() {
    Map<String, Object> c = new HashMap<>();
    c.put("invoice_id", "inv-1");
    c.put("line_no", 2);
    c.put("item_name", "*信息技术服务*软件维护");
    c.put("specification", null);
    c.put("unit", "次");
    c.put("quantity", new BigDecimal("3.00000000"));
    c.put("unit_price", new BigDecimal("100.00000000"));
    c.put("amount", new BigDecimal("300.00"));
    c.put("tax_rate", new BigDecimal("0.0600"));
    c.put("tax_exempt", false);
    c.put("tax_amount", new BigDecimal("18.00"));
    c.put("tax_code", "3040201000000000000");
    c.put("line_kind", "DISCOUNTED");
    return c;
  }

  /** The current row of a result, as pgjdbc answers getObject(column): an unknown column is an SQLException. */
  private static ResultSet resultSet(Map<String, Object> columns) {
    return (ResultSet) Proxy.newProxyInstance(ResultSet.class.getClassLoader(), new Class<?>[] {ResultSet.class}, (proxy, method, args) -> {
      if (method.getName().equals("getObject") && args.length == 1 && args[0] instanceof String column) {
        if (!columns.containsKey(column)) {
          throw new SQLException("The column name " + column + " was not found in this ResultSet.");
        }
        return columns.get(column);
      }
      throw new UnsupportedOperationException(method.getName());
    });
  }
}
