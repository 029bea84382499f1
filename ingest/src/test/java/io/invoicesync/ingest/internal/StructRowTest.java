package io.invoicesync.ingest.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.data.VariableScaleDecimal;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.ingest.mapping.RowMapper;
import io.invoicesync.schemas.InvoiceLine;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/**
 * One line table row, streamed by Debezium ({@link StructRow}) or read by JDBC after a snapshot,
 * becomes the same {@link InvoiceLine} through the reference mapping.
 */
class StructRowTest {

  private static final RowMapper MAPPER = new RowMapper(Mapping.reference());

  private static InvoiceLine fromEvent(Struct row) {
    return MAPPER.line(new StructRow(row), new ArrayList<>());
  }

  private static InvoiceLine fromJdbc(Map<String, Object> columns) {
    return MAPPER.line(columns::get, new ArrayList<>());
  }

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
    InvoiceLine line = fromEvent(row);

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
  void shouldMapARowReadByJdbcToTheSameLineAsTheRowStreamed() {
    // Given the same row, streamed and read by JDBC
    Struct streamed = new Struct(LINE);
    columns().forEach(streamed::put);

    // When / Then
    assertThat(fromJdbc(columns())).isEqualTo(fromEvent(streamed));
  }

  @Test
  void shouldTakeALineWithoutAKindAsNormal() {
    Map<String, Object> columns = columns();
    columns.put("line_kind", null);
    Struct streamed = new Struct(LINE);
    columns.forEach(streamed::put);

    assertThat(fromEvent(streamed).getLineKind()).isEqualTo("NORMAL");
    assertThat(fromJdbc(columns).getLineKind()).isEqualTo("NORMAL");
  }

  @Test
  void shouldReadColumnsAnEventLacksAsNullForValidationToJudge() {
    // Given a line table without the optional columns
    Schema narrow = SchemaBuilder.struct().field("line_no", Schema.INT32_SCHEMA).field("item_name", Schema.STRING_SCHEMA)
        .field("amount", Decimal.builder(2).build()).build();
    Struct row = new Struct(narrow).put("line_no", 1).put("item_name", "item").put("amount", new BigDecimal("5.00"));

    // When
    InvoiceLine line = fromEvent(row);

    // Then
    assertThat(line.getAmount()).isEqualTo(new BigDecimal("5.00"));
    assertThat(line.getTaxRate()).isNull();
    assertThat(line.getTaxCode()).isNull();
    assertThat(line.getTaxExempt()).isFalse();
    assertThat(line.getLineKind()).isEqualTo("NORMAL");
  }

  @Test
  void shouldReadDebeziumsVariableScaleDecimalAtTheContractsScale() {
    Schema s = SchemaBuilder.struct().field("line_no", Schema.INT32_SCHEMA).field("tax_rate", VariableScaleDecimal.optionalSchema()).build();
    Struct row = new Struct(s).put("line_no", 1).put("tax_rate", VariableScaleDecimal.fromLogical(VariableScaleDecimal.optionalSchema(),
        new BigDecimal("0.125")));

    assertThat(new StructRow(row).get("tax_rate")).isEqualTo(new BigDecimal("0.125"));
    assertThat(fromEvent(row).getTaxRate()).isEqualTo(new BigDecimal("0.1250"));
  }

  @Test
  void shouldReadDebeziumsDaysAndMicrosecondsAsTheDatesAndTimesJdbcGives() {
    Schema s = SchemaBuilder.struct().field("issue_date", io.debezium.time.Date.builder().build())
        .field("issued_at", io.debezium.time.MicroTimestamp.builder().build()).field("absent", Schema.OPTIONAL_STRING_SCHEMA).build();
    Struct row = new Struct(s).put("issue_date", 20_427).put("issued_at", 1_764_928_800_123_456L);

    StructRow r = new StructRow(row);
    assertThat(r.get("issue_date")).isEqualTo(java.time.LocalDate.of(2025, 12, 5));
    assertThat(r.get("issued_at")).isEqualTo(java.time.LocalDateTime.of(2025, 12, 5, 10, 0, 0, 123_456_000));
    assertThat(r.get("absent")).isNull();
    assertThat(r.get("no_such_column")).isNull();
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
}
