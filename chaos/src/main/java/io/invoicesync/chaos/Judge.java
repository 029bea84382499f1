package io.invoicesync.chaos;

import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.outcomes.Outcome;
import io.invoicesync.outcomes.reconcile.ReconcileClass;
import io.invoicesync.outcomes.reconcile.Reconciler;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.KafkaTestSupport;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Says whether a scenario lost, duplicated or left stale any invoice: after the load stops, waits
 * until the pipeline has drained (a reconciliation with nothing MISSING, STALE or IN_FLIGHT, or the
 * drain time is up), then takes the final reconciliation of the issuing database against the query
 * store, and reads {@code invoices.synced} whole to check each invoice's versions run 1, 2, 3...
 * once each and in order. Rejections are spurious when the generator issued the invoice valid.
 */
final class Judge {

  /** What the judge found; the JSON field names of chaos/results/latest.json. */
  record Verdict(long lost, long duplicateVersions, long outOfOrder, long stale, long extra, long placeholders, long spuriousRejections,
                 long rejected, long deadLettered, long sourceInvoices, long storeInvoices, List<String> examples, long invalidNotRejected) {
    /** This verdict with {@code found} (a scenario's own checks: versions applied out of order, retry attempts restarted) counted too. */
    Verdict withOutOfOrder(List<String> found) {
      List<String> ex = new ArrayList<>(examples);
      found.stream().limit(Math.max(0, 10 - ex.size())).forEach(ex::add);
      return new Verdict(lost, duplicateVersions, outOfOrder + found.size(), stale, extra, placeholders, spuriousRejections, rejected,
          deadLettered, sourceInvoices, storeInvoices, ex, invalidNotRejected);
    }

    /** This verdict with {@code found} (messages an ERP's webhook endpoint never got) counted as lost. */
    Verdict withLost(List<String> found) {
      List<String> ex = new ArrayList<>(examples);
      found.stream().limit(Math.max(0, 10 - ex.size())).forEach(ex::add);
      return new Verdict(lost + found.size(), duplicateVersions, outOfOrder, stale, extra, placeholders, spuriousRejections, rejected,
          deadLettered, sourceInvoices, storeInvoices, ex, invalidNotRejected);
    }

    boolean clean() {
      return lost == 0 && duplicateVersions == 0 && outOfOrder == 0 && stale == 0 && extra == 0 && placeholders == 0 && spuriousRejections == 0
          && invalidNotRejected == 0;
    }
  }

  private final Stack stack;

  Judge(Stack stack) {
    this.stack = stack;
  }

  Verdict judge(Map<String, InvoiceGenerator.Issued> ledger, Duration drain, Consumer<String> progress) throws SQLException, InterruptedException {
    // each source against the invoices it delivered (one source: the whole store)
    List<Reconciler> reconcilers = new ArrayList<>();
    for (RunConfig source : stack.sources().values()) { // as 'reconcile --source' reads it: its tables or mapping, its invoices
      reconcilers.add(source.reconciler(stack.issuingDataSource(), null, stack.storeDataSource(), Duration.ofSeconds(5), "auto"));
    }
    long deadline = System.nanoTime() + drain.toNanos();
    Reconciler.Report report;
    while (true) {
      report = reconcileAll(reconcilers);
      int open = count(report, ReconcileClass.MISSING) + count(report, ReconcileClass.STALE) + count(report, ReconcileClass.IN_FLIGHT);
      if (open == 0 || System.nanoTime() > deadline) {
        break;
      }
      progress.accept("draining: " + open + " invoices not yet visible at their latest state");
      Thread.sleep(2_000); // a reconciliation every 2 s while the pipeline catches up
    }
    long spurious = 0;
    long deadValid = 0;
    List<String> examples = new ArrayList<>();
    for (Reconciler.Difference d : report.differences()) {
      InvoiceGenerator.Issued issued = ledger.get(d.invoiceId());
      boolean valid = issued != null && issued.valid();
      if (d.kind() == ReconcileClass.REJECTED && valid) {
        spurious++;
        example(examples, "spurious rejection: " + d.invoiceId());
      } else if (d.kind() == ReconcileClass.DEAD_LETTERED && valid) {
        deadValid++;
        example(examples, "dead-lettered: " + d.invoiceId());
      } else if (d.kind().alarm() || d.kind() == ReconcileClass.IN_FLIGHT) {
        example(examples, d.kind() + ": " + d.invoiceId());
      }
    }
    long lost = count(report, ReconcileClass.MISSING) + count(report, ReconcileClass.IN_FLIGHT) + deadValid;
    // a poison record must end rejected or dead-lettered, with its reasons: never silently visible or nowhere
    Set<String> explained = new HashSet<>();
    report.differences().stream().filter(d -> d.kind() == ReconcileClass.REJECTED || d.kind() == ReconcileClass.DEAD_LETTERED)
        .forEach(d -> explained.add(d.invoiceId()));
    for (InvoiceGenerator.Issued i : ledger.values()) {
      if ("POISON".equals(i.type()) && !explained.contains(i.id())) {
        lost++;
        example(examples, "poison record neither rejected nor dead-lettered: " + i.id());
      }
    }

    Map<String, List<Integer>> versions = new HashMap<>();
    SerdeFactory serdes = SerdeFactory.registryLess();
    for (ConsumerRecord<String, InvoiceState> r : KafkaTestSupport.readToEnd(stack.bootstrap(), Topics.SYNCED.name(),
        serdes.keySerde().deserializer(), serdes.valueSerde(InvoiceState.class).deserializer())) {
      versions.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value().getVersion());
    }
    long duplicates = 0;
    long outOfOrder = 0;
    for (Map.Entry<String, List<Integer>> e : versions.entrySet()) {
      List<Integer> vs = e.getValue();
      if (vs.stream().distinct().count() != vs.size()) {
        duplicates += vs.size() - vs.stream().distinct().count();
        example(examples, "versions applied twice: " + e.getKey() + " " + vs);
      }
      for (int i = 0; i < vs.size(); i++) {
        if (vs.get(i) != i + 1 && vs.stream().distinct().count() == vs.size()) {
          outOfOrder++;
          example(examples, "versions out of order or skipped: " + e.getKey() + " " + vs);
          break;
        }
      }
    }
    long invalidNotRejected = invalidNotRejected(ledger, examples);
    long placeholders = placeholders();
    if (placeholders > 0) {
      example(examples, placeholders + " store rows hold Debezium's __debezium_unavailable_value");
    }
    return new Verdict(lost, duplicates, outOfOrder, count(report, ReconcileClass.STALE), count(report, ReconcileClass.EXTRA), placeholders,
        spurious,
        count(report, ReconcileClass.REJECTED), count(report, ReconcileClass.DEAD_LETTERED), report.sourceInvoices(), report.storeInvoices(),
        examples, invalidNotRejected);
  }

  /**
   * The generator's invalid invoices (each broken on purpose against one rule) that did not end
   * rejected with that rule's code among the reasons: validation switched off, or a rule that let
   * one through, fails the scenario like a lost invoice.
   */
  private long invalidNotRejected(Map<String, InvoiceGenerator.Issued> ledger, List<String> examples) throws SQLException {
    Map<String, String> expected = new HashMap<>();
    ledger.values().stream().filter(i -> i.expectedRule() != null).forEach(i -> expected.put(i.id(), i.expectedRule()));
    if (expected.isEmpty()) {
      return 0;
    }
    Map<String, String> codes = new HashMap<>();
    try (Connection c = stack.storeDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT invoice_id, codes FROM invoice_rejection WHERE invoice_id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", expected.keySet().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          codes.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    long missed = 0;
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String got = codes.get(e.getKey());
      if (got == null || !List.of(got.split(",")).contains(e.getValue())) {
        missed++;
        example(examples, "invalid invoice not rejected with " + e.getValue() + ": " + e.getKey() + (got == null ? " (no rejection)" : " (" + got + ")"));
      }
    }
    return missed;
  }

  /** Rows of the store holding Debezium's placeholder for a value PostgreSQL did not send (must be none). */
  private long placeholders() throws SQLException {
    try (Connection c = stack.storeDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM invoice i WHERE row_to_json(i)::text LIKE ?) "
             + "+ (SELECT count(*) FROM invoice_line l WHERE row_to_json(l)::text LIKE ?)")) {
      ps.setString(1, "%__debezium_unavailable_value%");
      ps.setString(2, "%__debezium_unavailable_value%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * The pipeline's lag now, in seconds: how long ago the oldest invoice created in the issuing
   * database since {@code since} was created, among those the store has not decided yet (visible,
   * rejected or dead-lettered); 0 when every one is decided. Infinite while a database cannot be read,
   * and until an invoice created at or after {@code fresh} has been decided too: after a fault during
   * which nothing was issued (the load paused), a lag under 1 s says nothing until something issued
   * since has come through.
   */
  double lagSeconds(Instant since, Instant fresh) {
    Map<String, Instant> created = new HashMap<>();
    try (Connection c = stack.issuingDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT id, created_at FROM issuing.invoice WHERE created_at >= ?")) {
      ps.setObject(1, OffsetDateTime.ofInstant(since, ZoneOffset.UTC));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          created.put(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant());
        }
      }
    } catch (SQLException e) {
      return Double.POSITIVE_INFINITY;
    }
    if (created.isEmpty()) {
      return 0;
    }
    Map<String, Instant> all = Map.copyOf(created);
    try (Connection c = stack.storeDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT id FROM invoice WHERE id = ANY (?) UNION SELECT invoice_id FROM invoice_rejection "
             + "WHERE invoice_id = ANY (?) UNION SELECT invoice_id FROM invoice_outcome WHERE invoice_id = ANY (?) AND outcome = ?")) {
      Array ids = c.createArrayOf("text", created.keySet().toArray());
      ps.setArray(1, ids);
      ps.setArray(2, ids);
      ps.setArray(3, ids);
      ps.setString(4, Outcome.DEAD_LETTERED.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          created.remove(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      return Double.POSITIVE_INFINITY;
    }
    if (fresh != null && all.entrySet().stream().noneMatch(e -> !e.getValue().isBefore(fresh) && !created.containsKey(e.getKey()))) {
      return Double.POSITIVE_INFINITY; // nothing issued since the fault ended has come through yet
    }
    Map.Entry<String, Instant> oldest = created.entrySet().stream().min(Map.Entry.comparingByValue()).orElse(null);
    double lag = oldest == null ? 0 : Math.max(0, (System.currentTimeMillis() - oldest.getValue().toEpochMilli()) / 1e3);
    if (lag >= 1.0) {
      waitedFor = oldest.getKey();
    }
    return lag;
  }

  /** The oldest invoice {@link #lagSeconds} last found undecided: what a recovery waited for longest. */
  private volatile String waitedFor;

  /** Takes the invoice the last recovery waited for (null when none was ever undecided). */
  String takeWaitedFor() {
    String id = waitedFor;
    waitedFor = null;
    return id;
  }

  /**
   * Where the time of one invoice went: created in the issuing database, then (in seconds after that)
   * committed, captured by ingest, decided by sync-streams, and visible in the store; what a slow
   * recovery is diagnosed from.
   */
  String timeline(String invoiceId) {
    StringBuilder sb = new StringBuilder(invoiceId);
    try (Connection c = stack.issuingDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT created_at FROM issuing.invoice WHERE id = ?")) {
      ps.setString(1, invoiceId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return sb.append(": not in the issuing database").toString();
        }
        Instant created = rs.getObject(1, OffsetDateTime.class).toInstant();
        sb.append(": created ").append(created);
        try (Connection s = stack.storeDataSource().getConnection();
             PreparedStatement q = s.prepareStatement("SELECT min(source_commit_ts), min(captured_at), min(decided_at), min(recorded_at), "
                 + "(SELECT min(projected_at) FROM invoice WHERE id = ?) FROM invoice_event WHERE invoice_id = ?")) {
          q.setString(1, invoiceId);
          q.setString(2, invoiceId);
          try (ResultSet r = q.executeQuery()) {
            r.next();
            String[] names = {"committed", "captured", "decided", "recorded", "projected"};
            for (int i = 0; i < names.length; i++) {
              OffsetDateTime t = r.getObject(i + 1, OffsetDateTime.class);
              sb.append(", ").append(names[i]).append(t == null ? " -" : String.format(" +%.2f s", Duration.between(created, t.toInstant()).toMillis() / 1e3));
            }
          }
        }
      }
    } catch (SQLException e) {
      sb.append(": ").append(e.getMessage());
    }
    return sb.toString();
  }

  /** Every source's reconciliation as one report: counts and differences added up. */
  private static Reconciler.Report reconcileAll(List<Reconciler> reconcilers) throws SQLException {
    List<Reconciler.Report> reports = new ArrayList<>();
    for (Reconciler r : reconcilers) {
      reports.add(r.reconcile(Reconciler.Scope.ALL, p -> { }));
    }
    if (reports.size() == 1) {
      return reports.get(0);
    }
    Map<ReconcileClass, Integer> counts = new java.util.EnumMap<>(ReconcileClass.class);
    List<Reconciler.Difference> differences = new ArrayList<>();
    long sourceInvoices = 0;
    long storeInvoices = 0;
    for (Reconciler.Report r : reports) {
      r.counts().forEach((k, v) -> counts.merge(k, v, Integer::sum));
      differences.addAll(r.differences());
      sourceInvoices += r.sourceInvoices();
      storeInvoices += r.storeInvoices();
    }
    Reconciler.Report first = reports.get(0);
    return new Reconciler.Report(first.startedAt(), reports.stream().mapToDouble(Reconciler.Report::seconds).sum(), sourceInvoices,
        storeInvoices, reports.stream().mapToInt(Reconciler.Report::bucketsCompared).sum(),
        reports.stream().mapToInt(Reconciler.Report::bucketsDiffering).sum(), reports.stream().mapToInt(Reconciler.Report::invoicesCompared).sum(),
        first.watermark(), counts, differences, first.scheme());
  }

  private static int count(Reconciler.Report r, ReconcileClass k) {
    return r.counts().getOrDefault(k, 0);
  }

  private static void example(List<String> examples, String s) {
    if (examples.size() < 10) {
      examples.add(s);
    }
  }
}
