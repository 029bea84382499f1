package io.invoicesync.outcomes.reconcile;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.text.Normalizer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Reconciles the query store against the tax platform's own list of invoices (its query export,
 * 全量发票查询导出): the platform is the authority. Each invoice the platform lists is found in the store
 * by its identity (数电票 number, or code and number; never by amount), and compared on what the list
 * carries: amount, tax, grand total, status, issue date, the parties' tax ids, and their names after
 * normalising full-/half-width characters and brackets. A blue invoice is also compared net of its red
 * invoices on each side. Classes as {@code reconcile}'s: MISSING (listed, not in the store), STALE (the
 * store shows it differently; the fields are named), EXTRA (in the store for the period and parties,
 * not listed); a listed invoice the store lacks because the pipeline rejected or dead-lettered it, or
 * is still deciding, is REJECTED, DEAD_LETTERED or IN_FLIGHT.
 */
public final class AgainstExport {

  /** One invoice as the platform lists it. {@code where}: the file, sheet and row it was listed on. */
  public record Listed(String code, String number, LocalDate issueDate, String sellerTaxId, String sellerName, String buyerTaxId,
                       String buyerName, BigDecimal amount, BigDecimal tax, BigDecimal total, String status, String blueCode,
                       String blueNumber, String where) {

    /** An invoice read from the platform's file at {@code where}. */
    public static Listed of(io.invoicesync.schemas.Invoice i, io.invoicesync.schemas.FilePosition where) {
      var red = i.getRedLetter();
      return new Listed(i.getInvoiceCode(), i.getInvoiceNumber(), i.getIssueDate(), i.getSeller().getTaxId(), i.getSeller().getName(),
          i.getBuyer().getTaxId(), i.getBuyer().getName(), i.getTotalAmount(), i.getTotalTax(), i.getGrandTotal(), i.getStatus(),
          red == null ? null : red.getBlueInvoiceCode(), red == null ? null : red.getBlueInvoiceNumber(),
          where == null ? null : io.invoicesync.outcomes.view.FileView.of(where).describe());
    }

    String key() {
      return AgainstExport.key(code, number);
    }
  }

  /** The period and parties compared; null fields are open. Without dates, the listed invoices' own span. */
  public record Scope(LocalDate from, LocalDate to, String seller, String buyer, java.util.Set<String> parties) {

    /** No restriction to a tenant's taxpayers. */
    public Scope(LocalDate from, LocalDate to, String seller, String buyer) {
      this(from, to, seller, buyer, null);
    }

    /**
     * @param parties when not null, only invoices where one of these is seller or buyer (an API token's taxpayers), on both sides
     */
    public Scope {
      parties = parties == null ? null : java.util.Set.copyOf(parties);
    }

    boolean covers(LocalDate date, String sellerTaxId, String buyerTaxId) {
      return (from == null || (date != null && !date.isBefore(from))) && (to == null || (date != null && !date.isAfter(to)))
          && (seller == null || seller.equals(sellerTaxId)) && (buyer == null || buyer.equals(buyerTaxId))
          && (parties == null || parties.contains(sellerTaxId) || parties.contains(buyerTaxId));
    }
  }

  /** A field the two sides differ on. */
  public record FieldDifference(String field, String platform, String store) {
  }

  /** One invoice the two sides do not agree on. */
  public record Entry(ReconcileClass kind, String invoiceCode, String invoiceNumber, String storeId, LocalDate issueDate,
                      String sellerTaxId, String buyerTaxId, BigDecimal platformTotal, BigDecimal storeTotal,
                      List<FieldDifference> differences, String listedAt, String explanation) {
  }

  /** What a run found. */
  public record Report(Instant startedAt, double seconds, Scope scope, int listed, int listedInScope, int storeInScope,
                       Map<ReconcileClass, Integer> counts, List<Entry> entries) {

    public boolean alarming() {
      return counts.entrySet().stream().anyMatch(e -> e.getKey().alarm() && e.getValue() > 0);
    }

    public Map<String, Object> toJson() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("startedAt", startedAt.toString());
      body.put("seconds", seconds);
      body.put("ok", !alarming());
      body.put("authority", "the tax platform's export");
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("from", scope.from() == null ? null : scope.from().toString());
      s.put("to", scope.to() == null ? null : scope.to().toString());
      s.put("seller", scope.seller());
      s.put("buyer", scope.buyer());
      body.put("scope", s);
      body.put("listed", listed);
      body.put("listedInScope", listedInScope);
      body.put("storeInScope", storeInScope);
      Map<String, Integer> byClass = new LinkedHashMap<>();
      counts.forEach((k, v) -> byClass.put(k.name(), v));
      body.put("counts", byClass);
      List<Map<String, Object>> list = new ArrayList<>();
      for (Entry e : entries) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class", e.kind().name());
        m.put("invoiceCode", e.invoiceCode());
        m.put("invoiceNumber", e.invoiceNumber());
        m.put("storeId", e.storeId());
        m.put("issueDate", e.issueDate() == null ? null : e.issueDate().toString());
        m.put("sellerTaxId", e.sellerTaxId());
        m.put("buyerTaxId", e.buyerTaxId());
        m.put("platformGrandTotal", e.platformTotal());
        m.put("storeGrandTotal", e.storeTotal());
        List<Map<String, Object>> diffs = new ArrayList<>();
        for (FieldDifference d : e.differences()) {
          Map<String, Object> dm = new LinkedHashMap<>();
          dm.put("field", d.field());
          dm.put("platform", d.platform());
          dm.put("store", d.store());
          diffs.add(dm);
        }
        m.put("differences", diffs);
        m.put("listedAt", e.listedAt());
        m.put("explanation", e.explanation());
        list.add(m);
      }
      body.put("differences", list);
      return body;
    }
  }

  private final DataSource store;

  public AgainstExport(DataSource store) {
    this.store = store;
  }

  static String key(String code, String number) {
    return (code == null || code.isBlank() ? "" : code) + "|" + number;
  }

  /** What the store holds of one invoice, for comparing. */
  private record Held(String id, String code, String number, LocalDate issueDate, String sellerTaxId, String sellerName, String buyerTaxId,
                      String buyerName, BigDecimal amount, BigDecimal tax, BigDecimal total, String status, String blueCode,
                      String blueNumber) {
  }

  /**
   * @param listed   the platform's invoices, read once (a 200,000-row export streams through)
   * @param progress a line per phase
   */
  public Report reconcile(Iterable<Listed> listed, Scope requested, Consumer<String> progress) throws SQLException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    Map<String, Listed> byKey = new HashMap<>();
    int all = 0;
    LocalDate min = null;
    LocalDate max = null;
    for (Listed l : listed) {
      all++;
      if (!requested.covers(l.issueDate(), l.sellerTaxId(), l.buyerTaxId())) {
        continue;
      }
      byKey.put(l.key(), l);
      if (l.issueDate() != null) {
        min = min == null || l.issueDate().isBefore(min) ? l.issueDate() : min;
        max = max == null || l.issueDate().isAfter(max) ? l.issueDate() : max;
      }
    }
    // without dates, the period the export covers: the store's invoices of those days are what it should list
    Scope scope = new Scope(requested.from() != null ? requested.from() : min, requested.to() != null ? requested.to() : max,
        requested.seller(), requested.buyer(), requested.parties());
    progress.accept(String.format("the platform lists %,d invoices, %,d in scope %s..%s", all, byKey.size(), scope.from(), scope.to()));
    int listedInScope = byKey.size();
    Map<String, Held> held = new HashMap<>();
    try (Connection c = store.getConnection()) {
      c.setAutoCommit(false); // a cursor: the store's invoices of the period stream, they are not held whole by the driver
      StringBuilder sql = new StringBuilder("SELECT id, invoice_code, invoice_number, issue_date, seller_tax_id, seller_name, buyer_tax_id, "
          + "buyer_name, total_amount, total_tax, grand_total, status, blue_invoice_code, blue_invoice_number FROM invoice WHERE true");
      List<Object> args = new ArrayList<>();
      if (scope.from() != null) {
        sql.append(" AND issue_date >= ?");
        args.add(java.sql.Date.valueOf(scope.from()));
      }
      if (scope.to() != null) {
        sql.append(" AND issue_date <= ?");
        args.add(java.sql.Date.valueOf(scope.to()));
      }
      if (scope.seller() != null) {
        sql.append(" AND seller_tax_id = ?");
        args.add(scope.seller());
      }
      if (scope.buyer() != null) {
        sql.append(" AND buyer_tax_id = ?");
        args.add(scope.buyer());
      }
      if (scope.parties() != null) {
        sql.append(" AND (seller_tax_id = ANY (?) OR buyer_tax_id = ANY (?))");
        String[] ids = scope.parties().toArray(String[]::new);
        args.add(c.createArrayOf("text", ids));
        args.add(c.createArrayOf("text", ids));
      }
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        ps.setFetchSize(5_000);
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Held h = held(rs);
            held.put(key(h.code(), h.number()), h);
          }
        }
      }
      // listed invoices the period's query did not find: elsewhere in the store (another date or party), or not there at all
      List<String> numbers = byKey.values().stream().filter(l -> !held.containsKey(l.key())).map(Listed::number).distinct().toList();
      Map<String, Held> elsewhere = new HashMap<>();
      Map<String, String[]> outcomes = new HashMap<>();
      if (!numbers.isEmpty()) {
        Array arr = c.createArrayOf("text", numbers.toArray());
        try (PreparedStatement ps = c.prepareStatement("SELECT id, invoice_code, invoice_number, issue_date, seller_tax_id, seller_name, "
            + "buyer_tax_id, buyer_name, total_amount, total_tax, grand_total, status, blue_invoice_code, blue_invoice_number FROM invoice "
            + "WHERE invoice_number = ANY(?)")) {
          ps.setArray(1, arr);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              Held h = held(rs);
              // an API token's taxpayers see only their own invoices, however the export was edited
              if (scope.parties() == null || scope.parties().contains(h.sellerTaxId()) || scope.parties().contains(h.buyerTaxId())) {
                elsewhere.put(key(h.code(), h.number()), h);
              }
            }
          }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT invoice_code, invoice_number, outcome, invoice_id, seller_tax_id FROM "
            + "invoice_outcome WHERE invoice_number = ANY(?)")) {
          ps.setArray(1, arr);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              if (scope.parties() != null && !scope.parties().contains(rs.getString(5))) {
                continue; // the outcome tables know the seller only: a buyer's token is not told another's outcome
              }
              outcomes.put(key(rs.getString(1), rs.getString(2)), new String[] {rs.getString(3), rs.getString(4)});
            }
          }
        }
      }
      c.commit();
      progress.accept(String.format("the store shows %,d invoices in scope", held.size()));
      Map<String, BigDecimal> platformNet = net(byKey.values().stream().map(l -> new Object[] {l.key(), l.total(), l.blueCode(), l.blueNumber()})
          .toList());
      Map<String, BigDecimal> storeNet = net(held.values().stream().map(h -> new Object[] {key(h.code(), h.number()), h.total(), h.blueCode(),
          h.blueNumber()}).toList());
      List<Entry> entries = new ArrayList<>();
      Map<ReconcileClass, Integer> counts = new EnumMap<>(ReconcileClass.class);
      for (Listed l : byKey.values()) {
        Held h = held.get(l.key());
        if (h == null) {
          h = elsewhere.get(l.key());
        }
        if (h == null) {
          String[] outcome = outcomes.get(l.key());
          ReconcileClass kind = explained(outcome == null ? null : outcome[0]);
          entries.add(new Entry(kind, l.code(), l.number(), outcome == null ? null : outcome[1], l.issueDate(), l.sellerTaxId(), l.buyerTaxId(),
              l.total(), null, List.of(), l.where(), kind == ReconcileClass.MISSING ? "the platform lists it; the store does not show it"
                  : "the pipeline " + (kind == ReconcileClass.REJECTED ? "rejected it: 'invoice-sync trace " + outcome[1] + "' says why"
                      : kind == ReconcileClass.DEAD_LETTERED ? "dead-lettered it: replay it from the dead-letter topic" : "is still deciding it")));
          counts.merge(kind, 1, Integer::sum);
          continue;
        }
        List<FieldDifference> d = compare(l, h);
        BigDecimal pn = platformNet.get(l.key());
        BigDecimal sn = storeNet.get(l.key());
        if (pn != null && sn != null && pn.compareTo(sn) != 0 && d.stream().noneMatch(x -> x.field().equals("grandTotal"))) {
          d.add(new FieldDifference("netGrandTotal", pn.toPlainString(), sn.toPlainString()));
        }
        if (!d.isEmpty()) {
          entries.add(new Entry(ReconcileClass.STALE, l.code(), l.number(), h.id(), l.issueDate(), l.sellerTaxId(), l.buyerTaxId(), l.total(),
              h.total(), d, l.where(), "the store shows it differently"));
          counts.merge(ReconcileClass.STALE, 1, Integer::sum);
        }
      }
      for (Held h : held.values()) {
        if (!byKey.containsKey(key(h.code(), h.number()))) {
          entries.add(new Entry(ReconcileClass.EXTRA, h.code(), h.number(), h.id(), h.issueDate(), h.sellerTaxId(), h.buyerTaxId(), null,
              h.total(), List.of(), null, "the store shows it for the period; the platform does not list it"));
          counts.merge(ReconcileClass.EXTRA, 1, Integer::sum);
        }
      }
      entries.sort(Comparator.comparing((Entry e) -> e.kind().ordinal()).thenComparing(e -> e.issueDate() == null ? LocalDate.MIN : e.issueDate())
          .thenComparing(e -> Objects.toString(e.invoiceNumber(), "")));
      return new Report(started, Math.round((System.nanoTime() - t0) / 1e7) / 100.0, scope, all, listedInScope, held.size(), counts,
          entries);
    }
  }

  private static ReconcileClass explained(String outcome) {
    if (outcome == null) {
      return ReconcileClass.MISSING;
    }
    return switch (outcome) {
      case "REJECTED" -> ReconcileClass.REJECTED;
      case "DEAD_LETTERED" -> ReconcileClass.DEAD_LETTERED;
      case "VISIBLE" -> ReconcileClass.MISSING; // visible once, and no longer in the store: nothing explains it
      default -> ReconcileClass.IN_FLIGHT;
    };
  }

  private static Held held(ResultSet rs) throws SQLException {
    java.sql.Date d = rs.getDate(4);
    return new Held(rs.getString(1), rs.getString(2), rs.getString(3), d == null ? null : d.toLocalDate(), rs.getString(5), rs.getString(6),
        rs.getString(7), rs.getString(8), rs.getBigDecimal(9), rs.getBigDecimal(10), rs.getBigDecimal(11), rs.getString(12), rs.getString(13),
        rs.getString(14));
  }

  /** Each blue invoice's grand total plus its red invoices' (negative) on the same side: {key, total, blueCode, blueNumber} rows. */
  private static Map<String, BigDecimal> net(List<Object[]> rows) {
    Map<String, BigDecimal> net = new HashMap<>();
    for (Object[] r : rows) {
      if (r[3] == null && r[1] != null) {
        net.merge((String) r[0], (BigDecimal) r[1], BigDecimal::add);
      }
    }
    for (Object[] r : rows) {
      if (r[3] != null && r[1] != null) {
        String blue = key((String) r[2], (String) r[3]);
        if (net.containsKey(blue)) {
          net.merge(blue, (BigDecimal) r[1], BigDecimal::add);
        }
      }
    }
    return net;
  }

  /** The fields the platform's list carries and the store shows otherwise. */
  static List<FieldDifference> compare(Listed l, Held h) {
    List<FieldDifference> d = new ArrayList<>();
    money(d, "totalAmount", l.amount(), h.amount());
    money(d, "totalTax", l.tax(), h.tax());
    money(d, "grandTotal", l.total(), h.total());
    if (l.status() != null && !l.status().equals(h.status())) {
      d.add(new FieldDifference("status", l.status(), h.status()));
    }
    if (l.issueDate() != null && !l.issueDate().equals(h.issueDate())) {
      d.add(new FieldDifference("issueDate", l.issueDate().toString(), Objects.toString(h.issueDate(), null)));
    }
    text(d, "sellerTaxId", l.sellerTaxId(), h.sellerTaxId());
    text(d, "buyerTaxId", l.buyerTaxId(), h.buyerTaxId());
    name(d, "sellerName", l.sellerName(), h.sellerName());
    name(d, "buyerName", l.buyerName(), h.buyerName());
    return d;
  }

  private static void money(List<FieldDifference> d, String field, BigDecimal p, BigDecimal s) {
    if (p != null && (s == null || p.compareTo(s) != 0)) {
      d.add(new FieldDifference(field, p.toPlainString(), s == null ? null : s.toPlainString()));
    }
  }

  private static void text(List<FieldDifference> d, String field, String p, String s) {
    if (p != null && !p.isBlank() && !p.strip().equalsIgnoreCase(s == null ? "" : s.strip())) {
      d.add(new FieldDifference(field, p, s));
    }
  }

  private static void name(List<FieldDifference> d, String field, String p, String s) {
    if (p != null && !p.isBlank() && !normalName(p).equals(normalName(s))) {
      d.add(new FieldDifference(field, p, s));
    }
  }

  /** A party's name as compared: NFKC (full-width to half-width), no spaces, every bracket kind as (). */
  static String normalName(String s) {
    if (s == null) {
      return "";
    }
    return Normalizer.normalize(s, Normalizer.Form.NFKC).replaceAll("\\s+", "").replace('[', '(').replace(']', ')').replace('【', '(')
        .replace('】', ')').replace('〔', '(').replace('〕', ')');
  }
}
