package io.invoicesync.outcomes.reconcile;

import io.invoicesync.outcomes.Outcome;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Compares the issuing database with the query store the data-diff way: each database computes,
 * inside itself, a checksum per bucket of invoices (count and sum of 60-bit content hashes, header
 * and lines added separately so no join is needed), only buckets whose checksums differ are split
 * further or compared invoice by invoice, and only the invoices that differ are classified
 * ({@link ReconcileClass}) with the outcome tables and the pipeline's watermark.
 *
 * <p>Buckets are the low bits of a hash of the invoice id, spread evenly whatever the ids look like.
 * Two {@link HashScheme}s: PostgreSQL's own {@code hashtext}/{@code hashtextextended} (fast: about
 * 7x md5 here), used when a probe shows both databases compute the same values (they differ across
 * byte orders and encodings), else md5, the same on any PostgreSQL. The content hash covers what a clerk sees: header identity,
 * type, dates, parties' tax ids, totals, status and risk flag, and every line's number, name,
 * quantity, price, amount, rate, tax and kind. Invoices the store already explains as rejected or
 * dead-lettered (and not visible) are subtracted from the source's checksums first, so a usual
 * share of rejections does not force a row-by-row comparison.
 *
 * <p>Size: over 400 lines because the bucket checksum, bisection and classification SQL must stay one unit for the two hash schemes (NATIVE, MD5) to compute exactly the same thing on both databases.
 */
public final class Reconciler {

  /** Rows per bucket below which a differing bucket is compared invoice by invoice. */
  public static final int ROW_COMPARE_MAX = 4096;

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  static final String HEADER_TEXT = "concat_ws('|', h.id, h.invoice_number, coalesce(h.invoice_code, ''), h.invoice_type, "
      + "h.issue_date::text, coalesce(h.seller_tax_id, ''), coalesce(h.buyer_tax_id, ''), h.total_amount::text, h.total_tax::text, "
      + "h.grand_total::text, h.status, coalesce(h.risk_flag, ''), coalesce(h.blue_invoice_number, ''))";
  static final String LINE_TEXT = "concat_ws('|', l.invoice_id, l.line_no::text, l.item_name, coalesce(l.quantity::text, ''), "
      + "coalesce(l.unit_price::text, ''), l.amount::text, coalesce(l.tax_rate::text, ''), coalesce(l.tax_amount::text, ''), "
      + "l.tax_exempt::text, l.line_kind)";

  /**
   * How buckets and content hashes are computed, in SQL, the same way on both sides. NATIVE hashes
   * each typed column with PostgreSQL's own hash function (a different seed per column) and XORs
   * them, which avoids numeric-to-text conversion, the costliest part of hashing a row (5.6 s vs 2.9 s
   * for 3,000,000 lines, serial, here); MD5 hashes the row's text.
   */
  public enum HashScheme {
    /** PostgreSQL's hash functions: fast; equal on both sides only with the same byte order and encoding (probed). */
    NATIVE("hashtext(%s)",
        "((hashtextextended(concat_ws('|', h.id, h.invoice_number, coalesce(h.invoice_code, ''), h.invoice_type, coalesce(h.seller_tax_id, ''), "
            + "coalesce(h.buyer_tax_id, ''), h.status, coalesce(h.risk_flag, ''), coalesce(h.blue_invoice_number, '')), 0) "
            + "# coalesce(hashint4extended(h.issue_date - DATE '2000-01-01', 6), 6) # coalesce(hash_numeric_extended(h.total_amount, 11), 11) "
            + "# coalesce(hash_numeric_extended(h.total_tax, 12), 12) # coalesce(hash_numeric_extended(h.grand_total, 13), 13)) >> 4)",
        "((hashtextextended(concat_ws('|', l.invoice_id, l.item_name, l.line_kind), l.line_no) "
            + "# coalesce(hash_numeric_extended(l.quantity, 1), 1) # coalesce(hash_numeric_extended(l.unit_price, 2), 2) "
            + "# coalesce(hash_numeric_extended(l.amount, 3), 3) # coalesce(hash_numeric_extended(l.tax_rate, 4), 4) "
            + "# coalesce(hash_numeric_extended(l.tax_amount, 5), 5) # (coalesce(l.tax_exempt, false)::int << 7)) >> 4)"),
    /** md5 of the row's text: slower, the same on every PostgreSQL. */
    MD5("('x' || substr(md5(%s), 1, 8))::bit(32)::int", "('x' || substr(md5(" + HEADER_TEXT + "), 1, 15))::bit(60)::bigint",
        "('x' || substr(md5(" + LINE_TEXT + "), 1, 15))::bit(60)::bigint");

    final String bucket;
    final String headerHash;
    final String lineHash;

    HashScheme(String bucket, String headerHash, String lineHash) {
      this.bucket = bucket;
      this.headerHash = headerHash;
      this.lineHash = lineHash;
    }

    /** The bucket of {@code column} at {@code bits} bits. */
    String bucket(String column, int bits) {
      return "(" + bucket.formatted(column) + " & " + ((1 << bits) - 1) + ")";
    }
  }

  static final String PROBE = "invoice-sync reconcile probe 发票 ÄÖ";

  /** Which invoices to compare: issue date range and seller, null = all. */
  public record Scope(LocalDate from, LocalDate to, String sellerTaxId) {
    public static final Scope ALL = new Scope(null, null, null);
  }

  /** One differing invoice, classified. */
  public record Difference(String invoiceId, ReconcileClass kind, String sourceStatus, String storeStatus, Integer storeVersion,
                           Instant sourceChangedAt, String recordedOutcome) {
  }

  /** The whole answer. */
  public record Report(Instant startedAt, double seconds, long sourceInvoices, long storeInvoices, int bucketsCompared,
                       int bucketsDiffering, int invoicesCompared, Instant watermark, Map<ReconcileClass, Integer> counts,
                       List<Difference> differences, HashScheme scheme) {
    public boolean alarming() {
      return counts.entrySet().stream().anyMatch(e -> e.getKey().alarm() && e.getValue() > 0);
    }

    /** The MISSING and STALE invoices, sorted: what a resync re-reads. */
    public Set<String> alarmIds() {
      Set<String> ids = new TreeSet<>();
      differences.stream().filter(d -> d.kind() == ReconcileClass.MISSING || d.kind() == ReconcileClass.STALE)
          .forEach(d -> ids.add(d.invoiceId()));
      return ids;
    }

    /** The report's one JSON shape: {@code reconcile --output json}, {@code reconcile_report.report} and {@code GET /api/v1/reconcile/last}. */
    public Map<String, Object> toJson() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("startedAt", startedAt().toString());
      body.put("seconds", seconds());
      body.put("ok", !alarming());
      body.put("sourceInvoices", sourceInvoices());
      body.put("storeInvoices", storeInvoices());
      body.put("bucketsCompared", bucketsCompared());
      body.put("bucketsDiffering", bucketsDiffering());
      body.put("invoicesCompared", invoicesCompared());
      body.put("watermark", watermark() == null ? null : watermark().toString());
      body.put("hash", scheme().name());
      Map<String, Integer> byClass = new LinkedHashMap<>();
      counts.forEach((k, v) -> byClass.put(k.name(), v));
      body.put("counts", byClass);
      body.put("differences", differences().stream().map(d -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("invoiceId", d.invoiceId());
        m.put("class", d.kind().name());
        m.put("sourceStatus", d.sourceStatus());
        m.put("storeStatus", d.storeStatus());
        m.put("storeVersion", d.storeVersion());
        m.put("sourceChangedAt", d.sourceChangedAt() == null ? null : d.sourceChangedAt().toString());
        m.put("recordedOutcome", d.recordedOutcome());
        return m;
      }).toList());
      return body;
    }
  }

  private final DataSource source;
  private final String sourceInvoice;
  private final String sourceLine;
  private final DataSource store;
  private final Duration grace;
  private HashScheme scheme;

  /**
   * @param sourceSchema the issuing platform's schema (invoice and invoice_line tables)
   * @param grace        how long after its commit an undecided change counts as IN_FLIGHT
   */
  public Reconciler(DataSource source, String sourceSchema, DataSource store, Duration grace) {
    this(source, sourceSchema, "invoice", "invoice_line", store, grace);
  }

  /** With the issuing platform's own table names ({@code ingest.source.invoice.table}, {@code ingest.source.line.table}). */
  public Reconciler(DataSource source, String sourceSchema, String invoiceTable, String lineTable, DataSource store, Duration grace) {
    for (String name : List.of(sourceSchema, invoiceTable, lineTable)) {
      if (!IDENTIFIER.matcher(name).matches()) {
        throw new IllegalArgumentException("source schema or table '" + name + "' is not a plain SQL identifier");
      }
    }
    this.source = source;
    this.sourceInvoice = sourceSchema + "." + invoiceTable;
    this.sourceLine = sourceSchema + "." + lineTable;
    this.store = store;
    this.grace = grace;
  }

  /** {@code auto} (probe), {@code native} or {@code md5}, as {@code --hash} and {@code reconcile.hash} spell it. */
  public Reconciler withHash(String name) {
    return switch (name) {
      case "auto" -> this;
      case "native" -> withScheme(HashScheme.NATIVE);
      case "md5" -> withScheme(HashScheme.MD5);
      default -> throw new IllegalArgumentException("hash must be auto, native or md5, not '" + name + "'");
    };
  }

  /** Forces a hash scheme instead of probing for the fastest one both databases agree on. */
  public Reconciler withScheme(HashScheme forced) {
    this.scheme = forced;
    return this;
  }

  private HashScheme chooseScheme() throws SQLException {
    if (scheme != null) {
      return scheme;
    }
    String probe = "SELECT hashtext(?)::text || '/' || hashtextextended(?, 0)::text";
    String[] seen = new String[2];
    DataSource[] sides = {source, store};
    for (int i = 0; i < 2; i++) {
      try (Connection c = sides[i].getConnection(); PreparedStatement ps = c.prepareStatement(probe)) {
        ps.setString(1, PROBE);
        ps.setString(2, PROBE);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          seen[i] = rs.getString(1);
        }
      } catch (SQLException e) {
        return HashScheme.MD5; // no hashtextextended (PostgreSQL before 11)
      }
    }
    return seen[0].equals(seen[1]) ? HashScheme.NATIVE : HashScheme.MD5;
  }

  /** Reconciles {@code scope}; {@code progress} hears each phase as it starts. */
  public Report reconcile(Scope scope, Consumer<String> progress) throws SQLException {
    Instant started = Instant.now();
    ExecutorService both = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "reconcile");
      t.setDaemon(true);
      return t;
    });
    try {
      HashScheme hs = chooseScheme();
      progress.accept("estimating sizes");
      long estimate = Math.max(estimate(source, sourceInvoice), estimate(store, "invoice"));
      int bits = 4 * digitsFor(estimate);

      Map<String, String> explainedOutcomes = explainedNotVisible();
      Set<String> explained = explainedOutcomes.isEmpty() ? Set.of() : inSource(explainedOutcomes.keySet(), scope);
      progress.accept("checksums of " + (1 << bits) + " buckets (" + hs + ")");
      var srcSums = async(both, () -> bucketSums(hs, source, sourceInvoice, sourceLine, scope, bits, null, 0));
      var dstSums = async(both, () -> bucketSums(hs, store, "invoice", "invoice_line", scope, bits, null, 0));
      var explainedSums = async(both, () -> explained.isEmpty() ? Map.<Integer, Sum>of()
          : bucketSumsOf(hs, source, sourceInvoice, sourceLine, bits, explained));
      Map<Integer, Sum> srcAll = join(srcSums);
      Map<Integer, Sum> dstAll = join(dstSums);
      long sourceInvoices = srcAll.values().stream().mapToLong(Sum::rows).sum();
      long storeInvoices = dstAll.values().stream().mapToLong(Sum::rows).sum();
      Map<Integer, Sum> src = subtract(srcAll, join(explainedSums));
      Map<Integer, Sum> dst = dstAll;
      Set<Integer> differing = differingBuckets(src, dst);
      Set<Integer> allBuckets = new HashSet<>(src.keySet());
      allBuckets.addAll(dst.keySet());
      int compared = allBuckets.size();

      // bisect: split a differing bucket that is still too big for a row comparison into 16
      int level = bits;
      Map<Integer, Set<Integer>> toCompare = new HashMap<>(); // bits -> buckets
      Set<Integer> current = differing;
      while (!current.isEmpty()) {
        Set<Integer> small = new TreeSet<>();
        Set<Integer> big = new TreeSet<>();
        for (Integer b : current) {
          long rows = Math.max(src.getOrDefault(b, Sum.ZERO).rows(), dst.getOrDefault(b, Sum.ZERO).rows());
          (rows <= ROW_COMPARE_MAX || level >= 28 ? small : big).add(b);
        }
        if (!small.isEmpty()) {
          toCompare.computeIfAbsent(level, k -> new TreeSet<>()).addAll(small);
        }
        if (big.isEmpty()) {
          break;
        }
        int parentBits = level;
        level += 4;
        int l = level;
        progress.accept("bisecting " + big.size() + " buckets to " + l + " bits");
        var s2 = async(both, () -> bucketSums(hs, source, sourceInvoice, sourceLine, scope, l, big, parentBits));
        var d2 = async(both, () -> bucketSums(hs, store, "invoice", "invoice_line", scope, l, big, parentBits));
        var e2 = async(both, () -> explained.isEmpty() ? Map.<Integer, Sum>of() : bucketSumsOf(hs, source, sourceInvoice, sourceLine, l, explained));
        Map<Integer, Sum> e2sums = join(e2);
        e2sums.keySet().removeIf(b -> !big.contains(b & ((1 << parentBits) - 1)));
        Map<Integer, Sum> s = subtract(join(s2), e2sums);
        Map<Integer, Sum> d = join(d2);
        src = s;
        dst = d;
        current = differingBuckets(s, d);
      }

      progress.accept("comparing invoices of " + toCompare.values().stream().mapToInt(Set::size).sum() + " buckets");
      var srcRows = async(both, () -> rows(hs, source, sourceInvoice, sourceLine, scope, toCompare, true));
      var dstRows = async(both, () -> rows(hs, store, "invoice", "invoice_line", scope, toCompare, false));
      Map<String, Row> s = join(srcRows);
      Map<String, Row> d = join(dstRows);
      Set<String> ids = new TreeSet<>();
      s.forEach((id, r) -> {
        Row o = d.get(id);
        if (o == null || !o.digest().equals(r.digest())) {
          ids.add(id);
        }
      });
      d.keySet().forEach(id -> {
        if (!s.containsKey(id)) {
          ids.add(id);
        }
      });

      ids.removeAll(explained); // already classified from the outcome tables
      progress.accept("classifying " + ids.size() + " invoices");
      Map<String, String> outcomes = new HashMap<>();
      Map<String, Instant> recordedCommits = new HashMap<>();
      outcomes(ids, outcomes, recordedCommits);
      // the store again, read after the outcomes: the projector commits a state to the store before its outcome can be
      // recorded, so what still differs now is real; a state projected between the first read and the outcomes' read
      // (recorded VISIBLE, absent from the first read) would otherwise be reported MISSING or STALE
      Map<String, Row> dAfter = ids.isEmpty() ? Map.of() : rowsOf(store, "invoice", "invoice_line", ids);
      ids.removeIf(id -> s.get(id) != null && dAfter.get(id) != null && dAfter.get(id).digest().equals(s.get(id).digest()));
      Instant watermark = watermark();
      Instant now = Instant.now();
      List<Difference> diffs = new ArrayList<>();
      Map<ReconcileClass, Integer> counts = new EnumMap<>(ReconcileClass.class);
      for (ReconcileClass c : ReconcileClass.values()) {
        counts.put(c, 0);
      }
      for (String id : explained) {
        ReconcileClass kind = ReconcileClass.valueOf(explainedOutcomes.get(id));
        counts.merge(kind, 1, Integer::sum);
        diffs.add(new Difference(id, kind, null, null, null, null, explainedOutcomes.get(id)));
      }
      for (String id : ids) {
        Row sr = s.get(id);
        Row dr = dAfter.get(id); // the store as read after the outcomes
        ReconcileClass kind = ReconcileClass.classify(new ReconcileClass.Seen(sr != null, dr != null, sr == null ? null : sr.changedAt(),
            outcomes.get(id) == null ? null : Outcome.valueOf(outcomes.get(id)), recordedCommits.get(id)), watermark, now, grace);
        counts.merge(kind, 1, Integer::sum);
        diffs.add(new Difference(id, kind, sr == null ? null : sr.status(), dr == null ? null : dr.status(), dr == null ? null : dr.version(),
            sr == null ? null : sr.changedAt(), outcomes.get(id)));
      }
      double seconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
      return new Report(started, seconds, sourceInvoices, storeInvoices, compared, differing.size(), s.size() + d.size(), watermark, counts,
          diffs, hs);
    } finally {
      both.shutdownNow();
    }
  }

  /** Hex digits (4 bits each) of bucket: about 256 invoices a bucket, between 1 and 5 digits. */
  static int digitsFor(long invoices) {
    int digits = 1;
    while (digits < 5 && invoices / (1L << (4 * digits)) > 256) {
      digits++;
    }
    return digits;
  }

  record Sum(long rows, BigDecimal hash) {
    static final Sum ZERO = new Sum(0, BigDecimal.ZERO);

    Sum minus(Sum o) {
      return new Sum(rows - o.rows, hash.subtract(o.hash));
    }
  }

  record Row(String digest, String status, Integer version, Instant changedAt) {
  }

  private static Set<Integer> differingBuckets(Map<Integer, Sum> a, Map<Integer, Sum> b) {
    Set<Integer> out = new TreeSet<>();
    Set<Integer> keys = new HashSet<>(a.keySet());
    keys.addAll(b.keySet());
    for (Integer k : keys) {
      Sum x = a.getOrDefault(k, Sum.ZERO);
      Sum y = b.getOrDefault(k, Sum.ZERO);
      if (x.rows() != y.rows() || x.hash().compareTo(y.hash()) != 0) {
        out.add(k);
      }
    }
    return out;
  }

  private static Map<Integer, Sum> subtract(Map<Integer, Sum> all, Map<Integer, Sum> explained) {
    Map<Integer, Sum> out = new HashMap<>(all);
    explained.forEach((b, s) -> out.merge(b, Sum.ZERO.minus(s), (x, y) -> new Sum(x.rows() + y.rows(), x.hash().add(y.hash()))));
    out.values().removeIf(s -> s.rows() == 0 && s.hash().signum() == 0);
    return out;
  }

  private static String where(Scope scope, String alias) {
    StringBuilder w = new StringBuilder(" WHERE true");
    if (scope.from() != null) {
      w.append(" AND ").append(alias).append(".issue_date >= ?");
    }
    if (scope.to() != null) {
      w.append(" AND ").append(alias).append(".issue_date <= ?");
    }
    if (scope.sellerTaxId() != null) {
      w.append(" AND ").append(alias).append(".seller_tax_id = ?");
    }
    return w.toString();
  }

  private static int bind(PreparedStatement ps, int i, Scope scope) throws SQLException {
    if (scope.from() != null) {
      ps.setObject(i++, java.sql.Date.valueOf(scope.from()));
    }
    if (scope.to() != null) {
      ps.setObject(i++, java.sql.Date.valueOf(scope.to()));
    }
    if (scope.sellerTaxId() != null) {
      ps.setString(i++, scope.sellerTaxId());
    }
    return i;
  }

  /** The planner's row estimate (no scan): enough to choose the bucket size. */
  private static long estimate(DataSource ds, String table) throws SQLException {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT greatest(reltuples, 0)::bigint FROM pg_class "
        + "WHERE oid = to_regclass(?)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /**
   * Per bucket (the low {@code bits} bits of the id's hash), inside the database: rows and the sum
   * of header hashes plus line hashes. Lines are scoped through their header only when a scope is
   * set (otherwise no join at all). {@code only}: just the sub-buckets of these buckets of
   * {@code parentBits} bits.
   */
  private static Map<Integer, Sum> bucketSums(HashScheme hs, DataSource ds, String invoice, String line, Scope scope, int bits,
                                              Set<Integer> only, int parentBits) throws SQLException {
    boolean scoped = scope.from() != null || scope.to() != null || scope.sellerTaxId() != null;
    String headerParent = only == null ? "" : " AND " + hs.bucket("h.id", parentBits) + " = ANY (?)";
    String lineParent = only == null ? "" : " AND " + hs.bucket("l.invoice_id", parentBits) + " = ANY (?)";
    String headers = "SELECT " + hs.bucket("h.id", bits) + " b, count(*) n, sum(" + hs.headerHash + ") s FROM " + invoice + " h"
        + where(scope, "h") + headerParent + " GROUP BY 1";
    String lines = "SELECT " + hs.bucket("l.invoice_id", bits) + " b, 0 n, sum(" + hs.lineHash + ") s FROM " + line + " l"
        + (scoped ? " JOIN " + invoice + " h ON h.id = l.invoice_id" + where(scope, "h") : " WHERE true") + lineParent + " GROUP BY 1";
    Map<Integer, Sum> out = new HashMap<>();
    try (Connection c = ds.getConnection()) {
      hashAggregate(c);
      for (String sql : List.of(headers, lines)) {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          int i = bind(ps, 1, scope);
          if (only != null) {
            ps.setArray(i, c.createArrayOf("int4", only.toArray()));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.merge(rs.getInt(1), new Sum(rs.getLong(2), rs.getBigDecimal(3)),
                  (x, y) -> new Sum(x.rows() + y.rows(), x.hash().add(y.hash())));
            }
          }
        }
      }
    }
    return out;
  }

  /** Bucket sums of just these invoices (by id, through the primary keys). */
  private static Map<Integer, Sum> bucketSumsOf(HashScheme hs, DataSource ds, String invoice, String line, int bits, Collection<String> ids)
      throws SQLException {
    String headers = "SELECT " + hs.bucket("h.id", bits) + " b, count(*) n, sum(" + hs.headerHash + ") s FROM " + invoice
        + " h WHERE h.id = ANY (?) GROUP BY 1";
    String lines = "SELECT " + hs.bucket("l.invoice_id", bits) + " b, 0 n, sum(" + hs.lineHash + ") s FROM " + line
        + " l WHERE l.invoice_id = ANY (?) GROUP BY 1";
    Map<Integer, Sum> out = new HashMap<>();
    try (Connection c = ds.getConnection()) {
      hashAggregate(c);
      for (String sql : List.of(headers, lines)) {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setArray(1, c.createArrayOf("text", ids.toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.merge(rs.getInt(1), new Sum(rs.getLong(2), rs.getBigDecimal(3)),
                  (x, y) -> new Sum(x.rows() + y.rows(), x.hash().add(y.hash())));
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * The planner cannot know that a bucket expression has at most 2^bits values; it estimates a
   * million groups and sorts every row to disk instead of hashing into a few thousand groups (4.8 s
   * instead of 2.9 s for 3,000,000 lines here). This session is read-only and only aggregates.
   */
  private static void hashAggregate(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET enable_sort = off");
    }
  }

  /** Every invoice of these buckets (by bit count) with its content digest and what a classification needs. */
  private static Map<String, Row> rows(HashScheme hs, DataSource ds, String invoice, String line, Scope scope, Map<Integer, Set<Integer>> buckets,
                                       boolean isSource) throws SQLException {
    Map<String, Row> out = new HashMap<>();
    try (Connection c = ds.getConnection()) {
      for (Map.Entry<Integer, Set<Integer>> e : buckets.entrySet()) {
        String sql = "SELECT h.id, md5(" + HEADER_TEXT + " || '#' || coalesce((SELECT string_agg(" + LINE_TEXT + ", '#' ORDER BY l.line_no) FROM "
            + line + " l WHERE l.invoice_id = h.id), '')), h.status, " + (isSource ? "h.updated_at, NULL::int" : "NULL::timestamptz, h.version")
            + " FROM " + invoice + " h" + where(scope, "h") + " AND " + hs.bucket("h.id", e.getKey()) + " = ANY (?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          int i = bind(ps, 1, scope);
          ps.setArray(i, c.createArrayOf("int4", e.getValue().toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              OffsetDateTime changed = rs.getObject(4, OffsetDateTime.class);
              out.put(rs.getString(1), new Row(rs.getString(2), rs.getString(3), (Integer) rs.getObject(5),
                  changed == null ? null : changed.toInstant()));
            }
          }
        }
      }
    }
    return out;
  }

  /** The store rows of {@code ids} (only those differing invoices are read again, not their whole buckets). */
  private static Map<String, Row> rowsOf(DataSource ds, String invoice, String line, Set<String> ids) throws SQLException {
    Map<String, Row> out = new HashMap<>();
    String sql = "SELECT h.id, md5(" + HEADER_TEXT + " || '#' || coalesce((SELECT string_agg(" + LINE_TEXT + ", '#' ORDER BY l.line_no) FROM "
        + line + " l WHERE l.invoice_id = h.id), '')), h.status, NULL::timestamptz, h.version FROM " + invoice + " h WHERE h.id = ANY (?)";
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), new Row(rs.getString(2), rs.getString(3), (Integer) rs.getObject(5), null));
        }
      }
    }
    return out;
  }

  /** Those of {@code ids} the source holds within {@code scope}. */
  private Set<String> inSource(Set<String> ids, Scope scope) throws SQLException {
    Set<String> out = new TreeSet<>();
    try (Connection c = source.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT h.id FROM " + sourceInvoice + " h" + where(scope, "h") + " AND h.id = ANY (?)")) {
      int i = bind(ps, 1, scope);
      ps.setArray(i, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** Invoices the store explains as rejected or dead-lettered and does not show, with that outcome (their source checksums are subtracted). */
  private Map<String, String> explainedNotVisible() throws SQLException {
    Map<String, String> out = new HashMap<>();
    String sql = "SELECT o.invoice_id, o.outcome FROM invoice_outcome o WHERE o.outcome IN ('REJECTED', 'DEAD_LETTERED') "
        + "AND NOT EXISTS (SELECT 1 FROM invoice i WHERE i.id = o.invoice_id)";
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) { // a store from before the outcome tables: nothing explained
        throw e;
      }
    }
    return out;
  }

  /** The recorded outcome of each of {@code ids}, and the commit time of the newest change decided on. */
  private void outcomes(Set<String> ids, Map<String, String> out, Map<String, Instant> commits) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT invoice_id, outcome, latest_commit_ts FROM invoice_outcome WHERE invoice_id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getString(2));
          OffsetDateTime t = rs.getObject(3, OffsetDateTime.class);
          if (t != null) {
            commits.put(rs.getString(1), t.toInstant());
          }
        }
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) {
        throw e;
      }
    }
  }

  /** The pipeline's watermark: the older of the newest commits sync-streams and the projector have handled. */
  private Instant watermark() throws SQLException {
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT min(source_commit_ts) FROM pipeline_watermark WHERE stage IN ('sync', 'projection')");
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
      return t == null ? null : t.toInstant();
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return null;
      }
      throw e;
    }
  }

  private interface SqlCall<T> {
    T call() throws SQLException;
  }

  private static <T> CompletableFuture<T> async(ExecutorService pool, SqlCall<T> call) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return call.call();
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, pool);
  }

  private static <T> T join(CompletableFuture<T> f) throws SQLException {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      throw e;
    }
  }
}
