package io.invoicesync.cli.mapping;

import io.invoicesync.ingest.mapping.Expr;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.ingest.mapping.MappingSql;
import io.invoicesync.ingest.mapping.RowMapper;
import io.invoicesync.ingest.mapping.Target;
import io.invoicesync.schemas.Violation;
import io.invoicesync.streams.rules.InvoiceValidator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * A mapping checked against the issuing database it is for, read-only, before anything is captured:
 * the tables and every column it reads (with the nearest name when one is misspelt), the kinds of
 * those columns against the fields they fill, that the key identifies one row, {@code wal_level},
 * the REPLICA IDENTITY that updates and deletes need, the publication; then the first invoices
 * mapped and judged by sync-streams' own rules, as the pipeline would decide them.
 */
public final class MappingCheck {

  /** What sync-streams would decide for one sampled invoice, with its reasons. */
  public record Sample(String key, String id, String decision, List<String> reasons) {
  }

  /** Everything found: problems make the mapping unusable here; notes do not. */
  public record Report(String mapping, List<String> problems, List<String> notes, List<Sample> samples) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private static final Set<String> TEXT = Set.of("character varying", "character", "text");
  private static final Set<String> INTEGER = Set.of("smallint", "integer", "bigint");

  private final Mapping mapping;
  private final InvoiceValidator validator;
  private final LocalDate today;

  public MappingCheck(Mapping mapping, InvoiceValidator validator, LocalDate today) {
    this.mapping = mapping;
    this.validator = validator;
    this.today = today;
  }

  /** Runs every check on {@code c} (a read-only session), mapping at most {@code sample} invoices. */
  public Report run(Connection c, String publication, int sample) throws SQLException {
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    String wal = one(c, "SHOW wal_level");
    if (!"logical".equals(wal)) {
      problems.add("wal_level is " + wal + ", logical decoding needs 'logical' (ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL)");
    }
    int beforeTables = problems.size();
    Map<String, String> headerTypes = columns(c, mapping.header());
    Map<String, String> lineTypes = columns(c, mapping.lines());
    if (headerTypes.isEmpty()) {
      problems.add("header.table: " + mapping.header() + " not found (or not readable by this user)");
    }
    if (lineTypes.isEmpty()) {
      problems.add("lines.table: " + mapping.lines() + " not found (or not readable by this user)");
    }
    if (!headerTypes.isEmpty()) {
      mapping.key().forEach(k -> column("header.key", k, mapping.header(), headerTypes, problems));
      if (mapping.changedAt() != null) {
        column("header.changedAt", mapping.changedAt(), mapping.header(), headerTypes, problems);
        String type = headerTypes.get(mapping.changedAt());
        if (type != null && !type.startsWith("timestamp")) {
          problems.add("header.changedAt: column '" + mapping.changedAt() + "' is " + type + ", not a timestamp");
        }
      }
      mapping.invoice().forEach((t, e) -> fieldColumns(t, e, mapping.header(), headerTypes, problems));
    }
    if (!lineTypes.isEmpty()) {
      mapping.join().forEach((lineCol, headerCol) -> {
        column("lines.join", lineCol, mapping.lines(), lineTypes, problems);
        if (!headerTypes.isEmpty()) {
          column("lines.join", headerCol, mapping.header(), headerTypes, problems);
        }
      });
      mapping.order().forEach(o -> column("lines.order", o, mapping.lines(), lineTypes, problems));
      mapping.line().forEach((t, e) -> fieldColumns(t, e, mapping.lines(), lineTypes, problems));
    }
    if (problems.size() > beforeTables) {
      return new Report(mapping.origin(), problems, notes, List.of()); // a table, a column or a kind is wrong: nothing to check further
    }
    keyUnique(c, problems, notes);
    replicaIdentity(c, mapping.header(), problems, notes);
    replicaIdentity(c, mapping.lines(), problems, notes);
    publication(c, publication, problems, notes);
    readInside(c, headerTypes, lineTypes, problems, notes);
    return new Report(mapping.origin(), problems, notes, sample > 0 && problems.isEmpty() ? sample(c, sample) : List.of());
  }

  /**
   * Reconcile, resync and trace read the tables through the mapping as SQL, inside the database: it
   * must translate (every date format) and run here.
   */
  private void readInside(Connection c, Map<String, String> headerTypes, Map<String, String> lineTypes, List<String> problems,
                          List<String> notes) throws SQLException {
    MappingSql sql;
    try {
      sql = new MappingSql(mapping, headerTypes, lineTypes);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute("SELECT count(*) FROM (SELECT * FROM " + sql.header() + " h LIMIT 100) x");
      st.execute("SELECT count(*) FROM (SELECT * FROM " + sql.lines() + " l LIMIT 100) x");
      notes.add("reconcile, resync and trace read " + mapping.header() + " and " + mapping.lines() + " through the mapping"
          + (mapping.changedAt() == null ? "; without header.changedAt, reconcile counts an invoice not yet captured as MISSING" : ""));
    } catch (SQLException e) {
      problems.add("reconcile cannot read the tables through the mapping: " + e.getMessage());
    }
  }

  /** Column name -> data_type of a table, in column order; empty when there is no such table. */
  private static Map<String, String> columns(Connection c, Mapping.TableName t) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT column_name, data_type FROM information_schema.columns "
        + "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position")) {
      ps.setString(1, t.schema());
      ps.setString(2, t.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  private static void column(String where, String column, Mapping.TableName t, Map<String, String> types, List<String> problems) {
    if (!types.containsKey(column)) {
      problems.add(where + ": " + t + " does not have column '" + column + "'" + nearest(column, types.keySet()));
    }
  }

  private static void fieldColumns(Target target, Expr e, Mapping.TableName t, Map<String, String> types, List<String> problems) {
    for (String col : e.columns()) {
      if (!types.containsKey(col)) {
        problems.add(target.path() + ": " + t + " does not have column '" + col + "'" + nearest(col, types.keySet()));
        continue;
      }
      String type = types.get(col);
      boolean formatted = e instanceof Expr.Column c && c.format() != null;
      if ((target.kind == Target.Kind.DATE || target.kind == Target.Kind.TIMESTAMP) && (TEXT.contains(type) || INTEGER.contains(type) || "numeric".equals(type))
          && !formatted && e instanceof Expr.Column) {
        problems.add(target.path() + ": column '" + col + "' is " + type + ", a " + target.kind.name().toLowerCase(Locale.ROOT)
            + " needs a 'format' to read it (e.g. format: yyyyMMdd)");
      }
      if (target.kind.decimal() && !(TEXT.contains(type) || INTEGER.contains(type) || "numeric".equals(type) || type.endsWith("precision")
          || "real".equals(type) || "money".equals(type))) {
        problems.add(target.path() + ": column '" + col + "' is " + type + ", not a number or text");
      }
    }
  }

  /** " (did you mean 'x'?)" for the closest name within two edits, else "". */
  static String nearest(String name, Iterable<String> candidates) {
    LevenshteinDistance within2 = new LevenshteinDistance(2);
    String best = null;
    int bestDistance = 3;
    for (String c : candidates) {
      int d = within2.apply(name.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
      if (d >= 0 && d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  /** The key is the primary key or a unique index's columns, or no two rows share it now. */
  private void keyUnique(Connection c, List<String> problems, List<String> notes) throws SQLException {
    Set<String> key = Set.copyOf(mapping.key());
    try (PreparedStatement ps = c.prepareStatement("SELECT i.indisprimary, array_agg(a.attname::text) FROM pg_index i "
        + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
        + "WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indpred IS NULL GROUP BY i.indexrelid, i.indisprimary")) {
      ps.setString(1, mapping.header().quoted());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (Set.of((String[]) rs.getArray(2).getArray()).equals(key)) {
            notes.add("header.key " + mapping.key() + " is " + (rs.getBoolean(1) ? "the primary key" : "a unique index") + " of " + mapping.header());
            return;
          }
        }
      }
    }
    String cols = mapping.key().stream().map(Mapping::quote).collect(Collectors.joining(", "));
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + cols + ", count(*) FROM " + mapping.header().quoted()
        + " GROUP BY " + cols + " HAVING count(*) > 1 LIMIT 1")) {
      if (rs.next()) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= mapping.key().size(); i++) {
          values.add(rs.getString(i));
        }
        problems.add("header.key " + mapping.key() + " is not unique in " + mapping.header() + ": " + rs.getLong(mapping.key().size() + 1)
            + " rows have " + values + " (name the columns that identify one invoice, or add a unique index on them)");
      } else {
        notes.add("header.key " + mapping.key() + " is unique in " + mapping.header() + " today but no index says so: capture keys changes "
            + "by it, so a later duplicate would merge two invoices (CREATE UNIQUE INDEX ... recommended)");
      }
    }
  }

  /**
   * A table without a primary key needs REPLICA IDENTITY FULL (or USING INDEX): with DEFAULT,
   * PostgreSQL refuses UPDATE and DELETE on it once it is published, and logical decoding sends no
   * key for them.
   */
  private static void replicaIdentity(Connection c, Mapping.TableName t, List<String> problems, List<String> notes) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT c.relreplident, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid "
        + "AND i.indisprimary) FROM pg_class c WHERE c.oid = to_regclass(?)")) {
      ps.setString(1, t.quoted());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        String identity = rs.getString(1);
        boolean pk = rs.getBoolean(2);
        if ("n".equals(identity) || ("d".equals(identity) && !pk)) {
          problems.add(t + " has REPLICA IDENTITY " + ("n".equals(identity) ? "NOTHING" : "DEFAULT and no primary key")
              + ": its updates and deletes carry no key (and PostgreSQL refuses them once the table is published); "
              + "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL");
        } else {
          notes.add(t + " has REPLICA IDENTITY " + switch (identity) {
            case "f" -> "FULL";
            case "i" -> "USING INDEX";
            default -> "DEFAULT (its primary key)";
          });
        }
      }
    }
  }

  private void publication(Connection c, String name, List<String> problems, List<String> notes) throws SQLException {
    if (one(c, "SELECT count(*) FROM pg_publication WHERE pubname = '" + name.replace("'", "''") + "'").equals("0")) {
      notes.add("publication " + name + " does not exist yet: ingest creates it for " + mapping.header() + " and " + mapping.lines() + " at start");
      return;
    }
    for (Mapping.TableName t : List.of(mapping.header(), mapping.lines())) {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication_tables WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
        ps.setString(1, name);
        ps.setString(2, t.schema());
        ps.setString(3, t.name());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            problems.add("publication " + name + " does not publish " + t + " (ALTER PUBLICATION " + name + " ADD TABLE " + t.quoted() + ")");
          }
        }
      }
    }
  }

  /** The first {@code n} invoices by key, mapped and judged as sync-streams would judge them arriving new. */
  private List<Sample> sample(Connection c, int n) throws SQLException {
    RowMapper mapper = new RowMapper(mapping);
    List<String> headerCols = mapping.headerColumns();
    List<String> lineCols = mapping.lineColumns();
    String keyOrder = mapping.key().stream().map(Mapping::quote).collect(Collectors.joining(", "));
    List<Map<String, Object>> headers = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + list(headerCols) + " FROM " + mapping.header().quoted()
        + " ORDER BY " + keyOrder + " LIMIT " + n)) {
      while (rs.next()) {
        headers.add(row(rs, headerCols));
      }
    }
    List<String> joinLine = new ArrayList<>(mapping.join().keySet());
    String lineSql = "SELECT " + list(lineCols) + " FROM " + mapping.lines().quoted() + " WHERE "
        + joinLine.stream().map(l -> Mapping.quote(l) + " = ?").collect(Collectors.joining(" AND "))
        + (mapping.order().isEmpty() ? "" : " ORDER BY " + list(mapping.order()));
    List<Sample> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(lineSql)) {
      for (Map<String, Object> h : headers) {
        for (int i = 0; i < joinLine.size(); i++) {
          ps.setObject(i + 1, h.get(mapping.join().get(joinLine.get(i))));
        }
        List<RowMapper.Row> lines = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Map<String, Object> l = row(rs, lineCols);
            lines.add(l::get);
          }
        }
        String key = mapping.key().stream().map(k -> String.valueOf(h.get(k))).collect(Collectors.joining("/"));
        RowMapper.Mapped m = mapper.invoice(h::get, lines);
        List<String> reasons = new ArrayList<>(m.problems().stream().map(p -> "MAPPING " + p).toList());
        if (m.invoice() != null) {
          for (Violation v : validator.validate(m.invoice(), null, today)) {
            reasons.add(v.getCode() + " " + v.getField() + ": " + v.getMessage());
          }
        }
        out.add(new Sample(key, m.invoice() == null ? null : m.invoice().getId(), reasons.isEmpty() ? "VISIBLE" : "REJECTED", reasons));
      }
    }
    out.sort(Comparator.comparing(Sample::key));
    return out;
  }

  private static Map<String, Object> row(ResultSet rs, List<String> cols) throws SQLException {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < cols.size(); i++) {
      m.put(cols.get(i), rs.getObject(i + 1));
    }
    return m;
  }

  private static String one(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String list(List<String> cols) {
    return cols.stream().map(Mapping::quote).collect(Collectors.joining(", "));
  }
}
