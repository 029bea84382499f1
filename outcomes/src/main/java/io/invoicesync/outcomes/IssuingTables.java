package io.invoicesync.outcomes;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The issuing database's invoices and lines as reconcile, resync and trace's source probe read them:
 * relations with the reference schema's columns ({@code id, invoice_number, ..., updated_at};
 * {@code invoice_id, line_no, ...}). For the reference tables they are the tables themselves; for a
 * customer's own tables, the mapping as SQL ({@code MappingSql} in ingest), computed inside the
 * issuing database.
 *
 * @param invoices     a relation to read after FROM (a table, or a parenthesised SELECT), given an alias by the reader
 * @param lines        the same for the lines
 * @param dataCollection the header table as Debezium names it ({@code schema.table}): what an incremental snapshot re-reads
 * @param table        the header table in SQL (quoted where needed)
 * @param id           the invoice id as an expression over {@code table}'s own columns: a condition on that table
 * @param byId         whether {@code id} is a column with an index (the reference tables), so that looking up invoices one by
 *                     one is cheap; a computed id is read by joins instead
 */
public record IssuingTables(String invoices, String lines, String dataCollection, String table, String id, boolean byId) {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** Our reference schema's tables, under the names {@code ingest.source.*} gives them. */
  public static IssuingTables reference(String schema, String invoiceTable, String lineTable) {
    for (String name : List.of(schema, invoiceTable, lineTable)) {
      if (!IDENTIFIER.matcher(name).matches()) {
        throw new IllegalArgumentException("source schema or table '" + name + "' is not a plain SQL identifier");
      }
    }
    return new IssuingTables(schema + "." + invoiceTable, schema + "." + lineTable, schema + "." + invoiceTable, schema + "." + invoiceTable,
        "id", true);
  }
}
