package io.invoicesync.ingest.internal;

import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.ingest.mapping.RowMapper;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceLine;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Loads the lines of invoices read by a snapshot (the initial one or a resync's). Only headers are
 * snapshotted; because issued lines never change (the issuing schema forbids it), reading them here,
 * outside the snapshot transaction, yields exactly the lines the header was issued with. Lines are
 * found by the mapping's join (one column or several) and mapped as streamed lines are.
 */
public final class SnapshotLineLoader {

  private final IngestConfig config;
  private final Mapping mapping;
  private final RowMapper mapper;
  private final List<String> lineColumns;
  private final String sql;

  public SnapshotLineLoader(IngestConfig config, Mapping mapping) {
    this.config = config;
    this.mapping = mapping;
    this.mapper = new RowMapper(mapping);
    this.lineColumns = mapping.lineColumns();
    List<String> joinLine = new ArrayList<>(mapping.join().keySet());
    // the join columns compared as text: one statement for any key type, one array per join column
    this.sql = "SELECT " + lineColumns.stream().map(Mapping::quote).collect(Collectors.joining(", ")) + " FROM "
        + mapping.lines().quoted() + " WHERE ("
        + joinLine.stream().map(c -> Mapping.quote(c) + "::text").collect(Collectors.joining(", ")) + ") IN (SELECT * FROM unnest("
        + joinLine.stream().map(c -> "?::text[]").collect(Collectors.joining(", ")) + "))"
        + (mapping.order().isEmpty() ? "" : " ORDER BY " + mapping.order().stream().map(Mapping::quote).collect(Collectors.joining(", ")));
  }

  /**
   * Puts their lines into the changes that need them ({@link TransactionAssembler#needsLines}), in
   * place; {@code joinValuesOf} gives a change's header join values (the assembler's).
   */
  public void addLines(List<InvoiceChange> changes, Function<String, List<Object>> joinValuesOf) {
    Map<String, List<Object>> wanted = new HashMap<>();
    changes.stream().filter(TransactionAssembler::needsLines).forEach(ch -> {
      List<Object> values = joinValuesOf.apply(ch.getInvoiceId());
      if (values != null) {
        wanted.put(ch.getInvoiceId(), values);
      }
    });
    if (wanted.isEmpty()) {
      return;
    }
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.jdbcProperties())) {
      Map<String, List<RowMapper.Problem>> problems = new HashMap<>();
      Map<String, List<InvoiceLine>> lines = load(c, wanted, problems);
      changes.replaceAll(ch -> !TransactionAssembler.needsLines(ch) ? ch : withLines(ch, lines.getOrDefault(ch.getInvoiceId(), List.of()),
          problems.getOrDefault(ch.getInvoiceId(), List.of())));
    } catch (SQLException e) {
      throw new IllegalStateException("cannot load lines of " + wanted.size() + " snapshot invoices from " + mapping.lines(), e);
    }
  }

  /** A snapshot read with its lines, and what the mapping could not read of them added to its problems. */
  private static InvoiceChange withLines(InvoiceChange ch, List<InvoiceLine> lines, List<RowMapper.Problem> problems) {
    InvoiceChange.Builder b = InvoiceChange.newBuilder(ch).setAfter(Invoice.newBuilder(ch.getAfter()).setLines(lines).build());
    if (!problems.isEmpty()) {
      List<io.invoicesync.schemas.Violation> all = new ArrayList<>(ch.getMappingProblems());
      all.addAll(TransactionAssembler.violations(ch.getInvoiceId(), problems));
      b.setMappingProblems(all);
    }
    return b.build();
  }

  /** The lines of the given invoices (invoice id -> its header's join values), by invoice id, each invoice's in line order. */
  public Map<String, List<InvoiceLine>> load(Connection c, Map<String, List<Object>> joinValuesById) throws SQLException {
    return load(c, joinValuesById, new HashMap<>());
  }

  /** The same, with what the mapping could not read of each invoice's lines in {@code problems} (invoice id -> its problems). */
  public Map<String, List<InvoiceLine>> load(Connection c, Map<String, List<Object>> joinValuesById,
                                             Map<String, List<RowMapper.Problem>> problems) throws SQLException {
    Map<String, List<InvoiceLine>> out = new HashMap<>();
    if (joinValuesById.isEmpty()) {
      return out;
    }
    Map<List<String>, String> idByJoin = new HashMap<>();
    joinValuesById.forEach((id, values) -> idByJoin.put(texts(values), id));
    int joins = mapping.join().size();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int j = 0; j < joins; j++) {
        int col = j;
        Array values = c.createArrayOf("text", idByJoin.keySet().stream().map(k -> k.get(col)).toArray());
        ps.setArray(j + 1, values);
      }
      try (ResultSet rs = ps.executeQuery()) {
        List<String> joinLine = new ArrayList<>(mapping.join().keySet());
        while (rs.next()) {
          Map<String, Object> row = new HashMap<>();
          for (int i = 0; i < lineColumns.size(); i++) {
            row.put(lineColumns.get(i), rs.getObject(i + 1));
          }
          String id = idByJoin.get(texts(joinLine.stream().map(row::get).toList()));
          if (id != null) { // the unnest pairs the arrays by position: only the wanted tuples match
            out.computeIfAbsent(id, k -> new ArrayList<>()).add(mapper.line(row::get, problems.computeIfAbsent(id, k -> new ArrayList<>())));
          }
        }
      }
    }
    if (mapping.order().isEmpty()) {
      out.values().forEach(l -> l.sort(java.util.Comparator.comparingInt(InvoiceLine::getLineNo)));
    }
    return out;
  }

  /** Join values as PostgreSQL's {@code ::text} writes them (for the columns a join uses: text, integers, dates). */
  private static List<String> texts(List<Object> values) {
    return values.stream().map(v -> v instanceof java.math.BigDecimal b ? b.toPlainString() : Objects.toString(v, null)).toList();
  }
}
