package io.invoicesync.ingest.internal;

import io.debezium.data.VariableScaleDecimal;
import io.debezium.time.MicroTimestamp;
import io.debezium.time.NanoTimestamp;
import io.debezium.time.Timestamp;
import io.debezium.time.ZonedTimestamp;
import io.invoicesync.ingest.mapping.RowMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Date;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * A row of a Debezium change event as the mapping reads rows: each column's value as a plain Java
 * value (Debezium's day counts and micro-, milli- or nanosecond timestamps as java.time, its
 * variable-scale decimals as BigDecimal), the same values a JDBC read of the row gives. A column the
 * table lacks reads as null, so that a missing column the contract needs fails validation with
 * reasons instead of stopping ingest.
 */
public final class StructRow implements RowMapper.Row {

  private final Struct row;

  public StructRow(Struct row) {
    this.row = row;
  }

  @Override
  public Object get(String column) {
    Field field = column == null ? null : row.schema().field(column);
    if (field == null) {
      return null;
    }
    Object v = row.get(field);
    if (v == null) {
      return null;
    }
    String type = field.schema().name();
    if (type == null) {
      return v;
    }
    return switch (type) {
      case io.debezium.time.Date.SCHEMA_NAME -> LocalDate.ofEpochDay(((Number) v).longValue());
      case MicroTimestamp.SCHEMA_NAME -> fromMicros(((Number) v).longValue());
      case Timestamp.SCHEMA_NAME -> fromMicros(((Number) v).longValue() * 1000);
      case NanoTimestamp.SCHEMA_NAME -> fromMicros(((Number) v).longValue() / 1000);
      case ZonedTimestamp.SCHEMA_NAME -> OffsetDateTime.parse((String) v);
      case org.apache.kafka.connect.data.Date.LOGICAL_NAME -> LocalDate.ofInstant(((Date) v).toInstant(), ZoneOffset.UTC);
      case org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME -> LocalDateTime.ofInstant(((Date) v).toInstant(), ZoneOffset.UTC);
      case VariableScaleDecimal.LOGICAL_NAME -> v instanceof Struct vs
          ? new BigDecimal(new BigInteger(vs.getBytes(VariableScaleDecimal.VALUE_FIELD)), vs.getInt32(VariableScaleDecimal.SCALE_FIELD)) : v;
      default -> v;
    };
  }

  /** Microseconds since the epoch, no zone (a {@code timestamp} column). */
  private static LocalDateTime fromMicros(long micros) {
    return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000), (int) Math.floorMod(micros, 1_000_000) * 1000, ZoneOffset.UTC);
  }
}
