package io.invoicesync.bench;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Query-store statements and rows written in a window (issue 23's
 * {@code store_statements_per_invoice} and {@code store_rows_written_per_invoice}), from
 * {@code pg_stat_statements} (reset at the window's start) restricted to the {@code querystore}
 * database.
 *
 * <ul>
 *   <li>statements: calls of the top-level statements that are neither reads (SELECT, WITH ... SELECT,
 *   VALUES, TABLE, SHOW, COPY ... TO) nor transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT,
 *   RELEASE): INSERT, UPDATE, DELETE, MERGE, COPY ... FROM, data-modifying WITH, and anything else
 *   (SET, LOCK, DDL, CALL);</li>
 *   <li>rows written: rows of INSERT, UPDATE, DELETE, MERGE, COPY ... FROM and data-modifying WITH,
 *   at every nesting level (a trigger's or function's writes count; there are none today);</li>
 *   <li>reported beside them: top-level reads and transactions (COMMIT calls) per invoice.</li>
 * </ul>
 * The bench's own queries carry {@link #BENCH_TAG} and are left out.
 *
 * @param invoices     invoices issued in the window
 * @param statements   top-level statements that write or do anything but read and transaction control
 * @param rowsWritten  rows written
 * @param reads        top-level reads
 * @param transactions COMMITs
 * @param top          the top-level statements by calls, as lines for the report
 * @param evicted      entries pg_stat_statements evicted in the window (its counts are short by theirs when > 0), -1 when unknown
 */
record StoreWrites(long invoices, long statements, long rowsWritten, long reads, long transactions, List<String> top, long evicted) {

  /** In the text of every query the bench itself sends to the query store while a window is measured. */
  static final String BENCH_TAG = "invoice-sync-bench";

  enum Kind { WRITE, READ, TRANSACTION, OTHER }

  /** One row of pg_stat_statements. */
  record Stat(String query, boolean toplevel, long calls, long rows) {
  }

  private static final Pattern LEADING_NOISE = Pattern.compile("^(\\s+|/\\*.*?\\*/|--[^\\n]*(\\n|$)|\\()+", Pattern.DOTALL);
  private static final Pattern DML = Pattern.compile("(?<!FOR )(?<!KEY )\\b(INSERT|UPDATE|DELETE|MERGE)\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern COPY_TO = Pattern.compile("^COPY\\s*\\(|\\bTO\\s+(STDOUT|PROGRAM|')", Pattern.CASE_INSENSITIVE);

  double statementsPerInvoice() {
    return per(statements);
  }

  double rowsWrittenPerInvoice() {
    return per(rowsWritten);
  }

  double readsPerInvoice() {
    return per(reads);
  }

  double transactionsPerInvoice() {
    return per(transactions);
  }

  private double per(long n) {
    return invoices <= 0 ? 0 : Math.round(n * 1000.0 / invoices) / 1000.0;
  }

  /** What a statement does, from its (normalised) text: leading comments, blanks and parentheses skipped. */
  static Kind kind(String query) {
    String q = LEADING_NOISE.matcher(query).replaceFirst("");
    String first = q.split("[\\s(;]+", 2)[0].toUpperCase(Locale.ROOT);
    return switch (first) {
      case "INSERT", "UPDATE", "DELETE", "MERGE" -> Kind.WRITE;
      case "SELECT", "VALUES", "TABLE", "SHOW", "FETCH", "EXPLAIN" -> Kind.READ;
      case "WITH" -> DML.matcher(q).find() ? Kind.WRITE : Kind.READ;
      case "COPY" -> COPY_TO.matcher(q).find() ? Kind.READ : Kind.WRITE;
      case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE" -> Kind.TRANSACTION;
      default -> Kind.OTHER;
    };
  }

  /** Sums {@code stats} (the query store's rows of pg_stat_statements) as the record's fields say. */
  static StoreWrites summarize(List<Stat> stats, long invoices, long evicted) {
    long statements = 0;
    long rows = 0;
    long reads = 0;
    long commits = 0;
    List<Stat> shown = new ArrayList<>();
    for (Stat s : stats) {
      if (s.query().contains(BENCH_TAG)) {
        continue;
      }
      Kind k = kind(s.query());
      if (k == Kind.WRITE) {
        rows += s.rows();
      }
      if (!s.toplevel()) {
        continue;
      }
      shown.add(s);
      switch (k) {
        case WRITE, OTHER -> statements += s.calls();
        case READ -> reads += s.calls();
        case TRANSACTION -> {
          String first = LEADING_NOISE.matcher(s.query()).replaceFirst("").split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
          if (first.equals("COMMIT") || first.equals("END")) {
            commits += s.calls();
          }
        }
        default -> throw new IllegalStateException(k.name());
      }
    }
    double n = Math.max(1, invoices);
    List<String> top = shown.stream().sorted(Comparator.comparingLong(Stat::calls).reversed()).limit(15)
        .map(s -> String.format(Locale.ROOT, "%.3f calls/invoice, %.3f rows/invoice, %s: %s", s.calls() / n, s.rows() / n,
            kind(s.query()).name().toLowerCase(Locale.ROOT), s.query().replaceAll("\\s+", " ").substring(0, Math.min(110,
                s.query().replaceAll("\\s+", " ").length()))))
        .toList();
    return new StoreWrites(invoices, statements, rows, reads, commits, top, evicted);
  }

  /** Empties pg_stat_statements (every database): the start of a window. */
  static void reset(EmbeddedPostgresServer pg) throws Exception {
    BenchRun.sql(pg, "postgres", "SELECT pg_stat_statements_reset()");
  }

  /** Reads pg_stat_statements for database {@code db} and sums it for {@code invoices}. */
  static StoreWrites read(EmbeddedPostgresServer pg, String db, long invoices) throws Exception {
    List<Stat> stats = new ArrayList<>();
    long evicted = -1;
    try (Connection c = pg.connect("postgres")) {
      try (PreparedStatement ps = c.prepareStatement("SELECT s.query, s.toplevel, s.calls, s.rows FROM pg_stat_statements s "
          + "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ?")) {
        ps.setString(1, db);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            stats.add(new Stat(rs.getString(1), rs.getBoolean(2), rs.getLong(3), rs.getLong(4)));
          }
        }
      }
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT dealloc FROM pg_stat_statements_info")) {
        if (rs.next()) {
          evicted = rs.getLong(1);
        }
      } catch (Exception e) {
        evicted = -1; // an older pg_stat_statements without the view
      }
    }
    return summarize(stats, invoices, evicted);
  }
}
