package io.invoicesync.outcomes.imports;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.Where;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * What the pipeline decided about one import's invoices ({@code invoice-sync import}, {@code POST
 * /api/v1/imports}), read from the outcome tables: the import's changes are those of source
 * {@code import} at its positions (an import's id names them: {@code import-FIRST-LAST}). Applied (new
 * or changed), deduplicated (already known: the same file again, or the same invoice an issuing
 * database delivered), rejected (by rule), awaiting a blue invoice; and the files they came from.
 */
public final class ImportDecisions {

  /** The source name imported invoices carry. */
  public static final String SOURCE = "import";

  private static final ObjectMapper JSON = new ObjectMapper();

  public long applied;
  public long deduplicated;
  public long rejected;
  public long awaiting;
  public long pending;
  public final Map<String, Long> rejections = new TreeMap<>();
  public final Map<String, Long> files = new TreeMap<>();

  /** The id of an import whose changes have positions {@code first..last}. */
  public static String id(long first, long last) {
    return "import-" + first + "-" + last;
  }

  /** The positions an import's id names: {first, last}; an id of another form is an IllegalArgumentException. */
  public static long[] positions(String id) {
    String[] p = id == null ? new String[0] : id.split("-");
    if (p.length != 3 || !p[0].equals("import")) {
      throw new IllegalArgumentException("'" + id + "' is not an import's id (import-FIRST-LAST, as the import's report names it)");
    }
    try {
      long first = Long.parseLong(p[1]);
      long last = Long.parseLong(p[2]);
      if (first > last || last - first > 10_000_000) {
        throw new IllegalArgumentException("'" + id + "' is not an import's id: its positions are out of order or too far apart");
      }
      return new long[] {first, last};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + id + "' is not an import's id (import-FIRST-LAST, as the import's report names it)");
    }
  }

  /** Polls until every one of {@code published} invoices is decided or {@code wait} passes; {@code progress} hears each change. */
  public static ImportDecisions await(DataSource store, long first, long last, long published, Tenant tenant, Duration wait,
                                      Consumer<String> progress) throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    long reported = -1;
    while (true) {
      ImportDecisions d = read(store, first, last, published, tenant);
      if (d.pending == 0 || System.nanoTime() > deadline) {
        return d;
      }
      if (d.pending != reported) {
        progress.accept(String.format("  waiting for the pipeline: %,d of %,d decided", published - d.pending, published));
        reported = d.pending;
      }
      Thread.sleep(500); // polling the store for decisions taken elsewhere
    }
  }

  /**
   * The decisions recorded so far; {@code published} (when known, else -1) gives {@link #pending}. Only invoices
   * {@code tenant} may see count (its seller, or its buyer as the store shows the invoice).
   */
  public static ImportDecisions read(DataSource store, long first, long last, long published, Tenant tenant) throws SQLException {
    ImportDecisions d = new ImportDecisions();
    Where where = Where.always().and("e.source_name = ?", SOURCE).and("e.source_lsn BETWEEN ? AND ?", first, last)
        .and("e.stage = ?", "sync-streams").and("e.event IN ('APPLIED','REJECTED','DEDUPLICATED','AWAITING_RED')");
    if (!tenant.all()) {
      String[] ids = tenant.taxIds().toArray(String[]::new);
      where = where.and("(e.seller_tax_id = ANY (?) OR i.buyer_tax_id = ANY (?))", ids, ids);
    }
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT e.event, e.detail, e.source_file, count(*) FROM invoice_event e "
             + "LEFT JOIN invoice i ON i.id = e.invoice_id WHERE " + where.sql() + " GROUP BY e.event, e.detail, e.source_file")) {
      where.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long n = rs.getLong(4);
          switch (rs.getString(1)) {
            case "APPLIED" -> d.applied += n;
            case "DEDUPLICATED" -> d.deduplicated += n;
            case "AWAITING_RED" -> d.awaiting += n;
            default -> {
              d.rejected += n;
              d.rejections.merge(rs.getString(2) == null ? "?" : rs.getString(2), n, Long::sum);
            }
          }
          if (!"AWAITING_RED".equals(rs.getString(1)) && rs.getString(3) != null) {
            d.files.merge(file(rs.getString(3)), n, Long::sum);
          }
        }
      }
    }
    // a red invoice awaiting its blue one is decided again later: it counts as decided once, when it is
    d.pending = published < 0 ? 0 : Math.max(0, published - (d.applied + d.deduplicated + d.rejected));
    return d;
  }

  private static String file(String json) {
    try {
      var node = JSON.readTree(json);
      return node.path("file").asText() + " (sha256 " + node.path("sha256").asText().substring(0, Math.min(12, node.path("sha256").asText().length()))
          + "…)";
    } catch (Exception e) {
      return "?";
    }
  }

  /** One line: "N applied (new or changed), N deduplicated (already known), N rejected". */
  public String line() {
    return String.format("  pipeline: %,d applied (new or changed), %,d deduplicated (already known), %,d rejected%s%s", applied,
        deduplicated, rejected, awaiting > 0 ? String.format(", %,d awaiting their blue invoice", awaiting) : "",
        pending > 0 ? String.format(", %,d not decided yet (the pipeline is behind or stopped: 'invoice-sync trace' tells each)", pending) : "");
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("applied", applied);
    m.put("deduplicated", deduplicated);
    m.put("rejected", rejected);
    m.put("rejectedByRule", rejections);
    m.put("awaitingBlue", awaiting);
    m.put("pending", pending);
    return m;
  }

  /** The files the decided invoices came from, with how many decisions each. */
  public List<Map<String, Object>> filesJson() {
    List<Map<String, Object>> out = new ArrayList<>();
    files.forEach((f, n) -> out.add(Map.of("file", f, "decided", n)));
    return out;
  }
}
