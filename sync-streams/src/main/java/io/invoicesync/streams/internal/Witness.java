package io.invoicesync.streams.internal;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Compares two witnesses of one invoice that carry different fields: an issuing database has every
 * field, the tax platform's export only some (no addresses, bank accounts, often no lines). What one
 * witness does not carry (null, or no lines) is not a difference: {@link #fill} takes it from the other,
 * so equal digests after filling mean the same invoice.
 */
final class Witness {

  private Witness() {
  }

  /** {@code partial} with every null field (at any depth) and, when it has none, its lines taken from {@code full}. */
  static Invoice fill(Invoice partial, Invoice full) {
    Invoice out = Invoice.newBuilder(partial).build();
    fillRecord(out, full);
    List<InvoiceLine> lines = out.getLines();
    if (lines.isEmpty()) {
      out.setLines(full.getLines());
    } else {
      List<InvoiceLine> filled = new ArrayList<>(lines.size());
      for (int i = 0; i < lines.size(); i++) {
        InvoiceLine l = InvoiceLine.newBuilder(lines.get(i)).build();
        if (i < full.getLines().size()) {
          fillRecord(l, full.getLines().get(i));
        }
        filled.add(l);
      }
      out.setLines(filled);
    }
    return out;
  }

  private static void fillRecord(SpecificRecordBase into, SpecificRecordBase from) {
    if (from == null) {
      return;
    }
    for (Schema.Field f : into.getSchema().getFields()) {
      Object mine = into.get(f.pos());
      Object theirs = from.get(f.pos());
      if (mine == null) {
        into.put(f.pos(), theirs);
      } else if (mine instanceof SpecificRecordBase r && theirs instanceof SpecificRecordBase t) {
        fillRecord(r, t);
      }
    }
  }

  /** The fields (dotted paths; lines as {@code lines[n].field}) where {@code a} and {@code b} differ. */
  static List<String> differences(Invoice a, Invoice b) {
    List<String> out = new ArrayList<>();
    diff("", a, b, out);
    if (a.getLines().size() != b.getLines().size()) {
      out.add("lines (" + a.getLines().size() + " and " + b.getLines().size() + ")");
    } else {
      for (int i = 0; i < a.getLines().size(); i++) {
        diff("lines[" + (i + 1) + "].", a.getLines().get(i), b.getLines().get(i), out);
      }
    }
    return out;
  }

  private static void diff(String prefix, SpecificRecordBase a, SpecificRecordBase b, List<String> out) {
    for (Schema.Field f : a.getSchema().getFields()) {
      if (f.name().equals("lines")) {
        continue;
      }
      Object x = a.get(f.pos());
      Object y = b == null ? null : b.get(f.pos());
      if (x instanceof SpecificRecordBase r && y instanceof SpecificRecordBase t) {
        diff(prefix + f.name() + ".", r, t, out);
      } else if (x instanceof java.math.BigDecimal p && y instanceof java.math.BigDecimal q ? p.compareTo(q) != 0 : !Objects.equals(x, y)) {
        out.add(prefix + f.name());
      }
    }
  }
}
