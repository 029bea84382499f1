package io.invoicesync.webhooks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The messages owed to each endpoint ({@code webhook_message}) and every attempt at them
 * ({@code webhook_attempt}). A message is PENDING until an attempt succeeds (DELIVERED) or the
 * schedule is used up or its endpoint disabled (FAILED); resend and recover make it PENDING again,
 * same id, same body. Within an endpoint and an order key (the invoice) only the oldest PENDING
 * message is ever sent, so one is in flight at a time and they arrive in the order enqueued.
 */
public final class Messages {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Messages.class);

  /** How a message starts: due (PENDING), its endpoint disabled (FAILED at once, for recover to send later), or in a pulled feed (FEED). */
  public enum Initial { PENDING, FAILED, FEED }

  /** A message to enqueue. */
  public record New(String id, String endpointId, EventType type, String orderKey, String invoiceId, Integer version, String body,
                    Instant createdAt, Initial initial) {
  }

  /** A message of a feed, as {@code GET /api/v1/events} hands it out. */
  public record FeedItem(long seq, String id, String body) {
  }

  /** A message leased for one attempt, with what the attempt needs from its endpoint. */
  public record Claimed(long seq, String id, String endpointId, String type, String orderKey, String invoiceId, String body, int attempt,
                        Instant createdAt, String url, List<String> secrets, Instant failingSince) {
  }

  /** A message as the deliveries list shows it (no body). */
  public record Delivery(long seq, String id, String endpointId, String type, String invoiceId, Integer version, String status, int attempts,
                         Instant createdAt, Instant nextAttemptAt, Instant lastAttemptAt, Integer lastStatus, String lastError,
                         Instant deliveredAt) {

    /** The message as the API, the CLI and the trace show it (never its body). */
    public Map<String, Object> view() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", id);
      m.put("seq", seq);
      m.put("endpointId", endpointId);
      m.put("eventType", type);
      m.put("invoiceId", invoiceId);
      m.put("version", version);
      m.put("status", status);
      m.put("attempts", attempts);
      m.put("createdAt", Endpoint.text(createdAt));
      m.put("nextAttemptAt", Endpoint.text(nextAttemptAt));
      m.put("lastAttemptAt", Endpoint.text(lastAttemptAt));
      m.put("lastResponseStatus", lastStatus);
      m.put("lastError", lastError);
      m.put("deliveredAt", Endpoint.text(deliveredAt));
      return m;
    }
  }

  private final DataSource store;

  /** Rows made PENDING since the planner's statistics of webhook_message were last refreshed here, and when that was (guarded by this). */
  private long grownSinceAnalyze;
  private long analyzedAtNanos = System.nanoTime() - ANALYZE_INTERVAL.toNanos();

  /** A burst of this many new waiting messages refreshes the planner's statistics (at most once per {@link #ANALYZE_INTERVAL}). */
  static final int ANALYZE_AFTER_ROWS = 1_000;
  static final Duration ANALYZE_INTERVAL = Duration.ofSeconds(10);

  public Messages(DataSource store) {
    this.store = store;
  }

  /**
   * After {@code rows} messages became waiting (an enqueue, a recover), refreshes the planner's statistics of webhook_message once
   * {@link #ANALYZE_AFTER_ROWS} have since the last refresh. A queue table that jumps from a few hundred rows to thousands within
   * autovacuum's nap (a minute by default) is planned from the old figures: the claim's check for an older message of the same
   * invoice then scanned every waiting message once per candidate (123 ms per claim at 20,000 waiting, against 1 ms once
   * analyzed; a 20,000-message burst drained at 255/s). Returns whether it ran; a failure is only logged (autovacuum comes later).
   * A user that neither owns the table nor holds MAINTAIN on it gets PostgreSQL's warning and no refresh: nothing else changes.
   */
  public boolean grew(int rows) {
    synchronized (this) {
      grownSinceAnalyze += Math.max(0, rows);
      if (grownSinceAnalyze < ANALYZE_AFTER_ROWS || System.nanoTime() - analyzedAtNanos < ANALYZE_INTERVAL.toNanos()) {
        return false;
      }
      grownSinceAnalyze = 0;
      analyzedAtNanos = System.nanoTime();
    }
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement("ANALYZE webhook_message")) {
      ps.execute();
      return true;
    } catch (SQLException e) {
      log.warn("could not refresh the statistics of webhook_message after a burst: {}", e.toString());
      return false;
    }
  }

  /**
   * Enqueues in one statement; a message already there for its endpoint (a re-read after a crash) is left as it is. Returns how
   * many were new. In the caller's transaction when it has one, else in one of its own.
   */
  public int enqueue(Connection c, List<New> messages) throws SQLException {
    if (messages.isEmpty()) {
      return 0;
    }
    if (c.getAutoCommit()) {
      c.setAutoCommit(false);
      try {
        int n = enqueue(c, messages);
        c.commit();
        return n;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
    if (messages.stream().anyMatch(m -> m.initial() == Initial.FEED)) {
      // a feed's reader moves its cursor past the highest seq it saw: every transaction that adds feed messages takes this lock
      // until it commits, so seqs become visible in the order they were drawn and no reader skips one committed late
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('invoice-sync webhook feed'))")) {
        lock.execute();
      }
    }
    // retention deletes a body only while no enqueue is under way: a message for an old event (a re-read) never loses its body
    try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock_shared(" + RETENTION_LOCK + ")")) {
      lock.execute();
    }
    int n = messages.size();
    String[] ids = new String[n];
    String[] endpoints = new String[n];
    String[] types = new String[n];
    String[] keys = new String[n];
    String[] invoices = new String[n];
    Integer[] versions = new Integer[n];
    Timestamp[] created = new Timestamp[n];
    String[] statuses = new String[n];
    for (int i = 0; i < n; i++) {
      New m = messages.get(i);
      ids[i] = m.id();
      endpoints[i] = m.endpointId();
      types[i] = m.type().wire();
      keys[i] = m.orderKey();
      invoices[i] = m.invoiceId();
      versions[i] = m.version();
      created[i] = Timestamp.from(m.createdAt());
      statuses[i] = m.initial().name();
    }
    // the bodies once per message id (a message to several endpoints is one body), then the messages
    java.util.Map<String, String> distinct = new java.util.LinkedHashMap<>();
    java.util.Map<String, Timestamp> when = new java.util.HashMap<>();
    for (New m : messages) {
      distinct.putIfAbsent(m.id(), m.body());
      when.putIfAbsent(m.id(), Timestamp.from(m.createdAt()));
    }
    try (PreparedStatement b = c.prepareStatement("INSERT INTO webhook_body (id, body, created_at) SELECT * FROM unnest(?::varchar[], "
        + "?::text[], ?::timestamptz[]) ON CONFLICT (id) DO NOTHING")) {
      b.setArray(1, c.createArrayOf("varchar", distinct.keySet().toArray()));
      b.setArray(2, c.createArrayOf("text", distinct.values().toArray()));
      b.setArray(3, c.createArrayOf("timestamptz", distinct.keySet().stream().map(when::get).toArray()));
      b.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO webhook_message (id, endpoint_id, event_type, order_key, invoice_id, version, created_at, status, next_attempt_at, "
            + "last_error) SELECT u.id, u.endpoint_id, u.event_type, u.order_key, u.invoice_id, u.version, u.created_at, u.status, "
            + "CASE WHEN u.status = 'PENDING' THEN now() END, CASE WHEN u.status = 'FAILED' THEN 'endpoint disabled' END "
            + "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::int[], ?::timestamptz[], "
            + "?::varchar[]) WITH ORDINALITY AS u (id, endpoint_id, event_type, order_key, invoice_id, version, created_at, status, ord) "
            // an endpoint deleted since the caller read it gets nothing (not a foreign-key error that would stop the fan-out)
            + "WHERE EXISTS (SELECT 1 FROM webhook_endpoint e WHERE e.id = u.endpoint_id) "
            + "ORDER BY u.ord ON CONFLICT (endpoint_id, id) DO NOTHING")) {
      ps.setArray(1, c.createArrayOf("varchar", ids));
      ps.setArray(2, c.createArrayOf("varchar", endpoints));
      ps.setArray(3, c.createArrayOf("varchar", types));
      ps.setArray(4, c.createArrayOf("varchar", keys));
      ps.setArray(5, c.createArrayOf("varchar", invoices));
      ps.setArray(6, c.createArrayOf("int4", versions));
      ps.setArray(7, c.createArrayOf("timestamptz", created));
      ps.setArray(8, c.createArrayOf("varchar", statuses));
      return ps.executeUpdate();
    }
  }

  /**
   * Leases up to {@code limit} due messages for one attempt each: of enabled endpoints, the oldest
   * PENDING one of its order key only, at most {@code perEndpoint} leased per endpoint (counting
   * those other instances hold), locked rows skipped. A lease that ends without an outcome (the
   * instance died) makes the message due again: it is sent again with the same id.
   */
  public List<Claimed> claim(int limit, int perEndpoint, Duration lease, String owner) throws SQLException {
    if (limit <= 0) {
      return List.of();
    }
    // per enabled endpoint with free slots, its pending messages in the order they fall due (webhook_message_due), stopping at its
    // free slots' worth of due heads of their order keys, or at the first not yet due: an index scan that ends early, whatever
    // waits for a later retry; then locked, skipping what another instance holds
    String sql = "WITH slots AS ("
        + " SELECT e.id, ? - (SELECT count(*) FROM webhook_message b WHERE b.endpoint_id = e.id AND b.status = 'PENDING'"
        + "   AND b.leased_until IS NOT NULL AND b.leased_until >= now()) AS free"
        + " FROM webhook_endpoint e WHERE e.enabled AND e.url IS NOT NULL),"
        + " chosen AS (SELECT c.seq FROM slots s CROSS JOIN LATERAL ("
        + "   SELECT m.seq FROM webhook_message m WHERE m.endpoint_id = s.id AND m.status = 'PENDING' AND m.next_attempt_at <= now()"
        + "   AND (m.leased_until IS NULL OR m.leased_until < now())"
        + "   AND NOT EXISTS (SELECT 1 FROM webhook_message p WHERE p.endpoint_id = m.endpoint_id AND p.order_key = m.order_key"
        + "     AND p.status = 'PENDING' AND (p.seq < m.seq OR p.seq <> m.seq AND p.leased_until >= now()))"
        + "   ORDER BY m.next_attempt_at, m.seq LIMIT greatest(s.free, 0)) c WHERE s.free > 0 ORDER BY c.seq LIMIT ?),"
        + " locked AS (SELECT m.seq FROM webhook_message m JOIN chosen USING (seq) WHERE m.status = 'PENDING'"
        + "   AND (m.leased_until IS NULL OR m.leased_until < now()) FOR UPDATE OF m SKIP LOCKED),"
        + " claimed AS (UPDATE webhook_message m SET leased_until = now() + ? * interval '1 millisecond', leased_by = ?, attempts = m.attempts + 1,"
        + " last_attempt_at = now()"
        + " FROM locked, webhook_endpoint e WHERE m.seq = locked.seq AND e.id = m.endpoint_id"
        + " RETURNING m.seq, m.id, m.endpoint_id, m.event_type, m.order_key, m.invoice_id, m.attempts, m.created_at, e.url, e.secret,"
        + " e.previous_secret, e.previous_secret_until, e.failing_since)"
        // the claimed rows with their bodies (a body is one per message id, shared by the endpoints it goes to)
        + " SELECT claimed.*, b.body FROM claimed JOIN webhook_body b ON b.id = claimed.id";
    List<Claimed> out = new ArrayList<>();
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, perEndpoint);
      ps.setInt(2, limit);
      ps.setLong(3, lease.toMillis());
      ps.setString(4, owner);
      Instant now = Instant.now();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<String> secrets = new ArrayList<>(List.of(rs.getString("secret")));
          Instant until = Endpoints.instant(rs, "previous_secret_until");
          if (rs.getString("previous_secret") != null && until != null && now.isBefore(until)) {
            secrets.add(rs.getString("previous_secret"));
          }
          out.add(new Claimed(rs.getLong("seq"), rs.getString("id"), rs.getString("endpoint_id"), rs.getString("event_type"),
              rs.getString("order_key"), rs.getString("invoice_id"), rs.getString("body"), rs.getInt("attempts"),
              Endpoints.instant(rs, "created_at"), rs.getString("url"), List.copyOf(secrets), Endpoints.instant(rs, "failing_since")));
        }
      }
    }
    out.sort(java.util.Comparator.comparingLong(Claimed::seq));
    return out;
  }

  /**
   * Makes due again what {@code owner} held when it died: the instance of that name has just started, so nothing of its is in flight.
   * The messages are sent again with their ids. Returns how many.
   */
  public int releaseLeases(String owner) throws SQLException {
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE webhook_message SET leased_until = NULL, leased_by = NULL WHERE leased_by = ? AND status = 'PENDING' AND leased_until IS NOT NULL")) {
      ps.setString(1, owner);
      return ps.executeUpdate();
    }
  }

  /** How an attempt ended, for {@link #settle}. */
  public enum Settled { DELIVERED, RETRY, FAILED }

  /** One attempt's outcome, for {@link #settleAll}. */
  public record Settlement(Claimed message, Settled how, Instant startedAt, long durationMs, Integer status, String error, Instant nextAttemptAt) {
  }

  /**
   * Records a batch of attempts and their messages' new states in one transaction, a statement per table: the dispatcher
   * settles what completed since its last turn, so a busy endpoint costs a few statements per batch, not three per message.
   * An endpoint with a success in the batch stops its failure clock; one with only failures starts it (if it is not running).
   */
  public void settleAll(List<Settlement> batch) throws SQLException {
    if (batch.isEmpty()) {
      return;
    }
    int n = batch.size();
    Long[] seqs = new Long[n];
    Integer[] attempts = new Integer[n];
    Timestamp[] started = new Timestamp[n];
    Integer[] durations = new Integer[n];
    Integer[] statuses = new Integer[n];
    String[] errors = new String[n];
    String[] states = new String[n];
    Timestamp[] next = new Timestamp[n];
    java.util.Set<String> succeeded = new java.util.TreeSet<>();
    java.util.Set<String> failed = new java.util.TreeSet<>();
    for (int i = 0; i < n; i++) {
      Settlement s = batch.get(i);
      seqs[i] = s.message().seq();
      attempts[i] = s.message().attempt();
      started[i] = Timestamp.from(s.startedAt());
      durations[i] = (int) Math.min(Integer.MAX_VALUE, s.durationMs());
      statuses[i] = s.status();
      errors[i] = s.error();
      states[i] = s.how() == Settled.RETRY ? "PENDING" : s.how().name();
      next[i] = s.how() == Settled.RETRY ? Timestamp.from(s.nextAttemptAt()) : null;
      (s.how() == Settled.DELIVERED ? succeeded : failed).add(s.message().endpointId());
    }
    failed.removeAll(succeeded);
    try (Connection c = store.getConnection()) {
      c.setAutoCommit(false);
      // attempts of messages deleted meanwhile (their endpoint removed) are dropped, not a foreign-key error that would fail the batch
      try (PreparedStatement a = c.prepareStatement("INSERT INTO webhook_attempt (message_seq, attempt, started_at, duration_ms, status, error) "
          + "SELECT u.* FROM unnest(?::bigint[], ?::int[], ?::timestamptz[], ?::int[], ?::int[], ?::text[]) AS u (seq, attempt, started, duration, "
          + "status, error) JOIN webhook_message m ON m.seq = u.seq ON CONFLICT DO NOTHING");
           // only while the message is still this attempt's: a resend, a disable, a recover or another instance's claim since
           // (attempts counted up, or no longer PENDING) make a late outcome moot, never overwrite the newer state
           PreparedStatement u = c.prepareStatement("UPDATE webhook_message m SET status = u.state, leased_until = NULL, last_status = u.status, "
               + "last_error = u.error, next_attempt_at = u.next, delivered_at = CASE WHEN u.state = 'DELIVERED' THEN now() ELSE m.delivered_at END "
               + "FROM unnest(?::bigint[], ?::varchar[], ?::int[], ?::text[], ?::timestamptz[], ?::int[]) AS u (seq, state, status, error, next, attempt) "
               + "WHERE m.seq = u.seq AND m.status = 'PENDING' AND m.attempts = u.attempt");
           PreparedStatement ok = c.prepareStatement("UPDATE webhook_endpoint SET failing_since = NULL WHERE id = ANY (?) AND failing_since IS NOT NULL");
           PreparedStatement ko = c.prepareStatement("UPDATE webhook_endpoint SET failing_since = now() WHERE id = ANY (?) AND failing_since IS NULL")) {
        a.setArray(1, c.createArrayOf("int8", seqs));
        a.setArray(2, c.createArrayOf("int4", attempts));
        a.setArray(3, c.createArrayOf("timestamptz", started));
        a.setArray(4, c.createArrayOf("int4", durations));
        a.setArray(5, c.createArrayOf("int4", statuses));
        a.setArray(6, c.createArrayOf("text", errors));
        a.executeUpdate();
        u.setArray(1, c.createArrayOf("int8", seqs));
        u.setArray(2, c.createArrayOf("varchar", states));
        u.setArray(3, c.createArrayOf("int4", statuses));
        u.setArray(4, c.createArrayOf("text", errors));
        u.setArray(5, c.createArrayOf("timestamptz", next));
        u.setArray(6, c.createArrayOf("int4", attempts));
        u.executeUpdate();
        // messages first, then endpoints (in id order): the order disable() takes its locks in
        if (!succeeded.isEmpty()) {
          ok.setArray(1, c.createArrayOf("varchar", succeeded.toArray()));
          ok.executeUpdate();
        }
        if (!failed.isEmpty()) {
          ko.setArray(1, c.createArrayOf("varchar", failed.toArray()));
          ko.executeUpdate();
        }
        c.commit();
      } catch (SQLException ex) {
        c.rollback();
        throw ex;
      }
    }
  }

  /** Disables an endpoint (410, or failing too long) and fails its PENDING messages with the reason; false when it was disabled already. */
  public boolean disable(String endpointId, String reason) throws SQLException {
    try (Connection c = store.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement e = c.prepareStatement(
          "UPDATE webhook_endpoint SET enabled = false, disabled_reason = ?, updated_at = now() WHERE id = ? AND enabled");
           PreparedStatement m = c.prepareStatement("UPDATE webhook_message SET status = 'FAILED', leased_until = NULL, "
               + "last_error = coalesce(last_error || '; ', '') || 'endpoint disabled' WHERE endpoint_id = ? AND status = 'PENDING'")) {
        // messages first, then the endpoint: the order settle() takes its locks in, so the two never deadlock
        m.setString(1, endpointId);
        m.executeUpdate();
        e.setString(1, reason);
        e.setString(2, endpointId);
        boolean changed = e.executeUpdate() == 1;
        c.commit();
        return changed;
      } catch (SQLException ex) {
        c.rollback();
        throw ex;
      }
    }
  }

  /** The endpoint's messages, newest first, optionally of one status and before {@code beforeSeq} (a page). */
  public List<Delivery> list(String endpointId, String status, String invoiceId, Long beforeSeq, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT * FROM webhook_message WHERE endpoint_id = ?");
    List<Object> args = new ArrayList<>(List.of(endpointId));
    if (status != null) {
      sql.append(" AND status = ?");
      args.add(status);
    }
    if (invoiceId != null) {
      sql.append(" AND invoice_id = ?");
      args.add(invoiceId);
    }
    if (beforeSeq != null) {
      sql.append(" AND seq < ?");
      args.add(beforeSeq);
    }
    sql.append(" ORDER BY seq DESC LIMIT ?");
    args.add(limit);
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      List<Delivery> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(delivery(rs));
        }
      }
      return out;
    }
  }

  /** A feed's messages after {@code afterSeq}, in their order (the order they were enqueued: per invoice, the pipeline's). */
  public List<FeedItem> feed(String endpointId, long afterSeq, int limit) throws SQLException {
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT m.seq, m.id, b.body FROM webhook_message m JOIN webhook_body b ON b.id = m.id WHERE m.endpoint_id = ? AND m.seq > ? "
            + "AND m.status = 'FEED' ORDER BY m.seq LIMIT ?")) {
      ps.setString(1, endpointId);
      ps.setLong(2, afterSeq);
      ps.setInt(3, limit);
      List<FeedItem> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new FeedItem(rs.getLong(1), rs.getString(2), rs.getString(3)));
        }
      }
      return out;
    }
  }

  /** Every endpoint's messages about one invoice, oldest first (the trace's deliveries). */
  public static List<Delivery> ofInvoice(Connection c, String invoiceId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM webhook_message WHERE invoice_id = ? ORDER BY endpoint_id, seq")) {
      ps.setString(1, invoiceId);
      List<Delivery> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(delivery(rs));
        }
      }
      return out;
    }
  }

  /** Sends one message again (same id, same body), whatever its state; false when the endpoint has no such message. */
  public boolean resend(String endpointId, String messageId) throws SQLException {
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE webhook_message SET status = 'PENDING', next_attempt_at = now(), leased_until = NULL WHERE endpoint_id = ? AND id = ?")) {
      ps.setString(1, endpointId);
      ps.setString(2, messageId);
      return ps.executeUpdate() > 0;
    }
  }

  /**
   * Sends again, in their order, the endpoint's messages that did not arrive (FAILED) and were made at
   * or after {@code since} and before {@code until} (null: now). Returns how many.
   */
  public int recover(String endpointId, Instant since, Instant until) throws SQLException {
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE webhook_message SET status = 'PENDING', next_attempt_at = now(), leased_until = NULL WHERE endpoint_id = ? AND status = 'FAILED' "
            + "AND created_at >= ? AND created_at < ?")) {
      ps.setString(1, endpointId);
      ps.setTimestamp(2, Timestamp.from(since));
      ps.setTimestamp(3, Timestamp.from(until == null ? Instant.now().plusSeconds(1) : until));
      int n = ps.executeUpdate();
      grew(n); // a recover after an outage is a burst of waiting messages
      return n;
    }
  }

  /** Per endpoint: PENDING messages and the age of the oldest (for the backlog gauges). */
  public record Backlog(String endpointId, long pending, Duration oldest) {
  }

  public List<Backlog> backlog() throws SQLException {
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT e.id, count(m.seq) AS n, coalesce(extract(epoch FROM now() - min(m.created_at)) * 1000, 0)::bigint AS oldest_ms "
            + "FROM webhook_endpoint e LEFT JOIN webhook_message m ON m.endpoint_id = e.id AND m.status = 'PENDING' GROUP BY e.id")) {
      List<Backlog> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Backlog(rs.getString(1), rs.getLong(2), Duration.ofMillis(rs.getLong(3))));
        }
      }
      return out;
    }
  }

  private static Delivery delivery(ResultSet rs) throws SQLException {
    return new Delivery(rs.getLong("seq"), rs.getString("id"), rs.getString("endpoint_id"), rs.getString("event_type"), rs.getString("invoice_id"),
        (Integer) rs.getObject("version"), rs.getString("status"), rs.getInt("attempts"), Endpoints.instant(rs, "created_at"),
        Endpoints.instant(rs, "next_attempt_at"), Endpoints.instant(rs, "last_attempt_at"), (Integer) rs.getObject("last_status"),
        rs.getString("last_error"), Endpoints.instant(rs, "delivered_at"));
  }

  /** The advisory lock retention takes alone and every enqueue shares. */
  static final String RETENTION_LOCK = "hashtext('invoice-sync webhook retention')";

  /**
   * Deletes what is past retention: delivered, failed and feed messages created before {@code cutoff} (their attempts cascade), in
   * batches of {@code batch}, each with the bodies no message refers to any more. Waiting messages are never deleted, whatever their
   * age: the status is checked again on each row as it is deleted, so a message a resend or a recover makes waiting meanwhile stays.
   * Each batch holds the retention lock alone (enqueues share it), so a message enqueued for an old event keeps its body. Returns
   * how many messages went.
   */
  public long deleteBefore(Instant cutoff, int batch) throws SQLException {
    long deleted = 0;
    try (Connection c = store.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(" + RETENTION_LOCK + ")");
           PreparedStatement m = c.prepareStatement("DELETE FROM webhook_message WHERE seq IN (SELECT seq FROM webhook_message "
               + "WHERE status IN ('DELIVERED', 'FAILED', 'FEED') AND created_at < ? ORDER BY seq LIMIT ?) "
               + "AND status IN ('DELIVERED', 'FAILED', 'FEED') AND created_at < ? RETURNING id");
           // by the deleted ids, through the (endpoint_id, id) key of every endpoint: no scan of either table
           PreparedStatement b = c.prepareStatement("DELETE FROM webhook_body b WHERE b.id = ANY (?) AND NOT EXISTS (SELECT 1 FROM "
               + "webhook_message m WHERE m.endpoint_id IN (SELECT id FROM webhook_endpoint) AND m.id = b.id)")) {
        int n;
        do {
          lock.execute();
          m.setTimestamp(1, Timestamp.from(cutoff));
          m.setInt(2, batch);
          m.setTimestamp(3, Timestamp.from(cutoff));
          java.util.Set<String> ids = new java.util.HashSet<>();
          n = 0;
          try (java.sql.ResultSet rs = m.executeQuery()) {
            while (rs.next()) {
              n++;
              ids.add(rs.getString(1));
            }
          }
          if (!ids.isEmpty()) {
            b.setArray(1, c.createArrayOf("varchar", ids.toArray()));
            b.executeUpdate();
          }
          c.commit(); // a batch at a time: the lock and the row locks are held briefly
          deleted += n;
        } while (n == batch);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    return deleted;
  }
}
