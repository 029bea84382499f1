package io.invoicesync.ingest.internal;

import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceLine;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the lines of invoices read by a snapshot (the initial one or a resync's). Only headers are
 * snapshotted; because issued lines never change (the issuing schema forbids it), reading them here,
 * outside the snapshot transaction, yields exactly the lines the header was issued with.
 */
public final class SnapshotLineLoader {

  private final IngestConfig config;
  private final String lineTable;

  public SnapshotLineLoader(IngestConfig config) {
    this.config = config;
    this.lineTable = config.qualifiedLineTable();
  }

  /** Puts their lines into the changes that need them ({@link TransactionAssembler#needsLines}), in place. */
  public void addLines(List<InvoiceChange> changes) {
    List<String> ids = changes.stream().filter(TransactionAssembler::needsLines).map(InvoiceChange::getInvoiceId).toList();
    if (ids.isEmpty()) {
      return;
    }
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.jdbcProperties())) {
      Map<String, List<InvoiceLine>> lines = load(c, ids);
      changes.replaceAll(ch -> !TransactionAssembler.needsLines(ch) ? ch : InvoiceChange.newBuilder(ch)
          .setAfter(Invoice.newBuilder(ch.getAfter()).setLines(lines.getOrDefault(ch.getInvoiceId(), List.of())).build()).build());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot load lines of " + ids.size() + " snapshot invoices from " + lineTable, e);
    }
  }

  /** The lines of the given invoices, by invoice id, each invoice's in line order. */
  public Map<String, List<InvoiceLine>> load(Connection c, Collection<String> invoiceIds) throws SQLException {
    Map<String, List<InvoiceLine>> out = new HashMap<>();
    if (invoiceIds.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + lineTable + " WHERE invoice_id = ANY (?) ORDER BY invoice_id, line_no")) {
      ps.setArray(1, c.createArrayOf("varchar", invoiceIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getString("invoice_id"), k -> new ArrayList<>()).add(LineMapper.fromResult(rs));
        }
      }
    }
    return out;
  }
}
