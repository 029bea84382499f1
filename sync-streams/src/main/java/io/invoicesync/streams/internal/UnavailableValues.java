package io.invoicesync.streams.internal;

import io.invoicesync.schemas.Invoice;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Debezium's placeholder for a value PostgreSQL did not send: a TOASTed column (a long remark or
 * address, stored out of line) that an UPDATE left unchanged, while the table's REPLICA IDENTITY
 * is not FULL. The change then says {@value #PLACEHOLDER} where the value is. sync-streams knows the
 * value, from the invoice's previous state, and puts it back; without a previous state the change
 * cannot be completed and is rejected, saying which field and what to do.
 */
public final class UnavailableValues {

  /** Debezium's default {@code unavailable.value.placeholder} for text columns. */
  public static final String PLACEHOLDER = "__debezium_unavailable_value";

  private UnavailableValues() {
  }

  /** The path of the first field holding the placeholder ({@code remarks}, {@code buyer.addressPhone}, {@code lines[2].itemName}), if any. */
  public static Optional<String> firstIn(Invoice invoice) {
    return first(invoice, "");
  }

  /**
   * {@code candidate} with each placeholder replaced by the same field of {@code previous} (lines
   * matched by line number); empty when a placeholder has no value to take ({@code previous} null,
   * or the field or line absent there).
   */
  public static Optional<Invoice> fill(Invoice candidate, Invoice previous) {
    if (previous == null) {
      return Optional.empty();
    }
    Invoice copy = Invoice.newBuilder(candidate).build(); // a deep copy, with the generated model's logical-type conversions
    return fillRecord(copy, previous) ? Optional.of(copy) : Optional.empty();
  }

  private static boolean fillRecord(GenericRecord rec, GenericRecord prev) {
    for (Schema.Field f : rec.getSchema().getFields()) {
      Object v = rec.get(f.pos());
      Object p = prev == null ? null : prev.get(f.pos());
      if (isPlaceholder(v)) {
        if (p == null || isPlaceholder(p)) {
          return false;
        }
        rec.put(f.pos(), p);
      } else if (v instanceof GenericRecord nested) {
        if (!fillRecord(nested, p instanceof GenericRecord pr ? pr : null) && first(nested, "").isPresent()) {
          return false;
        }
      } else if (v instanceof List<?> list) {
        List<Object> filled = new ArrayList<>(list);
        for (int i = 0; i < filled.size(); i++) {
          if (filled.get(i) instanceof GenericRecord line && first(line, "").isPresent()) {
            GenericRecord match = p instanceof List<?> pl ? sameLine(line, pl) : null;
            if (match == null || !fillRecord(line, match)) {
              return false;
            }
          }
        }
        rec.put(f.pos(), filled);
      }
    }
    return true;
  }

  /** The previous line with the same line number. */
  private static GenericRecord sameLine(GenericRecord line, List<?> previous) {
    Schema.Field no = line.getSchema().getField("lineNo");
    if (no == null) {
      return null;
    }
    for (Object o : previous) {
      if (o instanceof GenericRecord p && line.get(no.pos()).equals(p.get(no.pos()))) {
        return p;
      }
    }
    return null;
  }

  private static Optional<String> first(GenericRecord rec, String prefix) {
    for (Schema.Field f : rec.getSchema().getFields()) {
      Object v = rec.get(f.pos());
      String path = prefix + f.name();
      if (isPlaceholder(v)) {
        return Optional.of(path);
      }
      if (v instanceof GenericRecord nested) {
        Optional<String> in = first(nested, path + ".");
        if (in.isPresent()) {
          return in;
        }
      } else if (v instanceof List<?> list) {
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i) instanceof GenericRecord r) {
            Optional<String> in = first(r, path + "[" + i + "].");
            if (in.isPresent()) {
              return in;
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isPlaceholder(Object v) {
    return v instanceof CharSequence s && PLACEHOLDER.contentEquals(s);
  }
}
