package io.invoicesync.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Runs scenarios one after another on one {@link Stack}: the pipeline in the scenario's layout of
 * child processes, the load running, the fault injected round after round, each fault's recovery
 * timed until the pipeline's lag is back under 1 s, and the judge's verdict once the load stops.
 * Processes that died of a fault are restarted (an orchestrator would), and counted.
 */
final class ScenarioRunner implements AutoCloseable {

  /** One scenario's outcome; the fields of chaos/results/latest.json. */
  record Result(Scenario scenario, int rounds, long issued, Judge.Verdict verdict, List<Double> recoverySeconds, int restartsAfterExit,
                double seconds, String note) {
    Boolean passed() {
      if (!scenario.implemented()) {
        return null;
      }
      // a process that ended on a fault it should have ridden out (an outage, a poison record) fails the scenario too
      return verdict != null && verdict.clean() && recoverySeconds.stream().allMatch(r -> r >= 0) && restartsAfterExit == 0;
    }

    Double maxRecovery() {
      return recoverySeconds.isEmpty() ? null : recoverySeconds.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
  }

  private final Stack stack;
  private final Judge judge;
  private final Path config;
  private final Path logs;
  private final double rate;
  private final boolean quick;
  private final Integer roundsOverride;
  private final Consumer<String> out;
  private final Random random = new Random(15);
  private final Map<String, PipelineProcess> processes = new LinkedHashMap<>();
  private Scenario.Layout layout;

  ScenarioRunner(Stack stack, double rate, boolean quick, Integer roundsOverride, Consumer<String> out) throws IOException {
    this.stack = stack;
    this.judge = new Judge(stack);
    this.rate = rate;
    this.quick = quick;
    this.roundsOverride = roundsOverride;
    this.out = out;
    this.logs = stack.dir.resolve("logs");
    this.config = stack.dir.resolve("run.properties");
    this.clusterConfig = stack.dir.resolve("run-rf3.properties");
    write(config, stack.runConfig());
  }

  private final Path clusterConfig;

  private static void write(Path file, Map<String, String> cfg) throws IOException {
    StringBuilder props = new StringBuilder();
    cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
    Files.writeString(file, props.toString());
  }

  Result run(Scenario s) throws Exception {
    long t0 = System.nanoTime();
    if (!s.implemented()) {
      return new Result(s, 0, 0, null, List.of(), 0, 0, s.notRun != null ? s.notRun : "not built yet");
    }
    int rounds = roundsOverride != null ? roundsOverride : quick ? s.quickRounds : s.fullRounds;
    useLayout(s.layout);
    Load load = new Load(stack.issuingUrl(), "chaos-" + s.id + "-", rate);
    load.start();
    List<Double> recoveries = new ArrayList<>();
    int restarts = 0;
    try {
      Thread.sleep(quick ? 2_000 : 5_000); // warm up under load before the first fault
      java.time.Instant since = java.time.Instant.now().minusSeconds(5); // the backlog the lag is measured on: from the last recovery on
      for (int round = 1; round <= rounds; round++) {
        Thread.sleep(quick ? 1_000 + random.nextInt(2_000) : 2_000 + random.nextInt(4_000)); // the fault lands at a random moment of the load
        out.accept(s.id + ": round " + round + "/" + rounds);
        fault(s, load);
        restarts += restartDead();
        long end = System.nanoTime();
        java.time.Instant ended = java.time.Instant.now();
        double recovery = -1;
        while (System.nanoTime() - end < Duration.ofMinutes(5).toNanos()) {
          if (judge.lagSeconds(since, ended) < 1.0) {
            recovery = (System.nanoTime() - end) / 1e9;
            since = java.time.Instant.now().minusSeconds(1);
            break;
          }
          Thread.sleep(100); // the resolution of the recovery time
        }
        recoveries.add(recovery);
        out.accept(s.id + ": round " + round + " recovered in " + (recovery < 0 ? "(not within 5 min)" : String.format("%.1f s", recovery)));
      }
    } finally {
      load.stopNow(); // also when a fault could not be injected: no generator may outlive its scenario
    }
    restarts += restartDead();
    Judge.Verdict verdict = judge.judge(load.ledger(), Duration.ofMinutes(3), out);
    if (!orderViolations.isEmpty()) {
      verdict = verdict.withOutOfOrder(orderViolations);
      orderViolations.clear();
    }
    return new Result(s, rounds, load.issued(), verdict, recoveries, restarts, (System.nanoTime() - t0) / 1e9,
        restarts == 0 ? "" : restarts + " process(es) exited on the fault and were restarted");
  }

  private void fault(Scenario s, Load load) throws Exception {
    Duration outage = Duration.ofSeconds(quick ? 10 : 60);
    switch (s) {
      case KILL_PIPELINE -> restart(processes.get("pipeline"));
      case KILL_INGEST -> restart(processes.get("ingest"));
      case KILL_STREAMS -> restart(processes.get("streams"));
      case KILL_PROJECTOR -> restart(processes.get("projector"));
      case BROKER_BOUNCE -> {
        stack.stopKafka();
        Thread.sleep(quick ? 10_000 : 30_000); // the broker's downtime
        stack.startKafka();
      }
      case BROKER_LOSS_RF3 -> {
        stack.cluster().stopNode(1);
        out.accept("broker 2 of 3 stopped");
        Thread.sleep(outage.toMillis()); // the load goes on with two brokers: min.insync.replicas=2 is still met
        stack.cluster().startNode(1);
        stack.cluster().awaitBrokers(3);
      }
      case STORE_OUTAGE -> {
        stack.stopStore();
        Thread.sleep(outage.toMillis());
        stack.startStore();
      }
      case ISSUING_DB_OUTAGE -> {
        load.stopNow();
        stack.stopIssuing();
        Thread.sleep(outage.toMillis());
        stack.startIssuing();
        load.resume();
      }
      case TOAST_WIDE_ROWS -> wideRows(load);
      case POISON_NULL -> poisonNull(load);
      case POISON_HUGE_INVOICE -> hugeInvoice(load);
      case SOURCE_RESTORED -> sourceMoved(load);
      case POISON_COLUMN_RENAMED -> columnRenamed(load);
      case PROJECTOR_RESTART_PARKED -> restartWhileParked(load);
      case RETRY_RETENTION -> expireWhileParked(load);
      case SLOT_DROPPED -> {
        PipelineProcess ingest = processes.get("ingest");
        ingest.stop();
        Thread.sleep(quick ? 5_000 : 10_000); // invoices keep being issued while ingest is down
        try (java.sql.Connection c = stack.issuingDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
          st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'invoice_sync'");
        }
        ingest.start(Duration.ofMinutes(3));
      }
      case STORE_READ_ONLY -> {
        storeReadOnly(true);
        Thread.sleep(outage.toMillis());
        storeReadOnly(false);
      }
      default -> throw new IllegalStateException("no fault for " + s.id);
    }
  }

  /**
   * 20 valid invoices are issued with long remarks and addresses (random CJK text, so PostgreSQL
   * stores them out of line, TOASTed, instead of compressing them away); once they are visible, an
   * update touches each row without changing those columns ({@code updated_at}, which the issuing
   * platform's triggers allow): with REPLICA IDENTITY DEFAULT, PostgreSQL does not send the long
   * values, and Debezium says {@code __debezium_unavailable_value}. The store must end equal to the
   * source on every column.
   */
  private void wideRows(Load load) throws Exception {
    List<String> ids = new ArrayList<>();
    java.time.LocalDate today = io.invoicesync.generator.IssuingDay.today();
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    try (java.sql.Connection c = stack.issuingDataSource().getConnection()) {
      for (int i = 0; i < 20; i++) {
        String id = "chaos-wide-" + serial + "-" + i;
        String number = io.invoicesync.generator.IssuingDay.digitalNumber(serial * 100 + i);
        issueInvoice(c, id, number, today, cjk(280) + " 0755-1234567", cjk(280) + " 021-12345678", cjk(480));
        ids.add(id);
        load.issuedValid(id, "DIGITAL_GENERAL", number);
      }
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline && wideVisible(ids) < ids.size()) {
      Thread.sleep(500); // until the wide states are in the store
    }
    // the touch runs with the platform's own content trigger off: a PL/pgSQL trigger that reads NEW detoasts the long values and
    // so sends them whole; a platform without one (most) sends only what changed, as tested with test_decoding
    try (java.sql.Connection c = stack.issuingDataSource().getConnection(); java.sql.Statement st = c.createStatement();
         java.sql.PreparedStatement touch = c.prepareStatement("UPDATE issuing.invoice SET updated_at = now() WHERE id = ?")) {
      c.setAutoCommit(false);
      st.execute("ALTER TABLE issuing.invoice DISABLE TRIGGER invoice_immutable");
      for (String id : ids) {
        touch.setString(1, id);
        touch.addBatch();
      }
      touch.executeBatch();
      st.execute("ALTER TABLE issuing.invoice ENABLE TRIGGER invoice_immutable");
      c.commit();
    }
  }

  /**
   * The issuing platform lets a column the contract needs be NULL (its NOT NULL dropped), and issues
   * 5 invoices without an issue date among the load: each must end rejected with its reasons, and
   * everything else keep flowing (no process may end).
   */
  private void poisonNull(Load load) throws Exception {
    try (java.sql.Connection c = stack.issuingDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
      st.execute("ALTER TABLE issuing.invoice ALTER COLUMN issue_date DROP NOT NULL");
    }
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    try (java.sql.Connection c = stack.issuingDataSource().getConnection()) {
      for (int i = 0; i < 5; i++) {
        String id = "chaos-null-" + serial + "-" + i;
        issueInvoice(c, id, io.invoicesync.generator.IssuingDay.digitalNumber(serial * 100 + 50 + i), null, null, null, null);
        load.issuedPoison(id);
      }
    }
  }

  /**
   * The query store refuses the first (ISSUED) state of 5 invoices for a while, as a lock held by
   * someone else would (a trigger raises: a record-specific transient failure), so they wait on the
   * retry topic, retried with back-off; the projector is killed and restarted meanwhile, and each
   * invoice is then red-flushed in the source. Each must end visible at its latest state, with its
   * versions projected in order (never the red-flushed one before the issued one) and its attempt
   * count going on from where it was (not starting again at 1 after the restart).
   */
  private void restartWhileParked(Load load) throws Exception {
    List<String> ids = holdFirstVersions(load, "parked");
    restart(processes.get("projector"));
    try (java.sql.Connection c = stack.issuingDataSource().getConnection();
         java.sql.PreparedStatement ps = c.prepareStatement("UPDATE issuing.invoice SET status = 'PARTIALLY_RED_FLUSHED' WHERE id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      ps.executeUpdate();
    }
    Thread.sleep(quick ? 5_000 : 10_000); // the held versions keep being retried after the restart
    releaseHeld();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline && projectionEvents(ids).values().stream().filter(e -> e.contains("PROJECTED v2")).count() < ids.size()) {
      Thread.sleep(500); // until the later versions are visible
    }
    checkOrderAndAttempts(ids);
  }

  /**
   * 5 invoices wait on the retry topic (their first version refused by the store), and the retry
   * topic's records expire (retention; here deleted up to the end, as the retention would) before
   * they are settled. Each must still end visible: nothing on the retry topic may be its only copy.
   */
  private void expireWhileParked(Load load) throws Exception {
    holdFirstVersions(load, "expired");
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(java.util.Map.of("bootstrap.servers",
        stack.bootstrap()))) {
      Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
      for (int p = 0; p < io.invoicesync.schemas.Topics.SYNCED_RETRY.partitions(); p++) {
        latest.put(new org.apache.kafka.common.TopicPartition(io.invoicesync.schemas.Topics.SYNCED_RETRY.name(), p),
            org.apache.kafka.clients.admin.OffsetSpec.latest());
      }
      Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.RecordsToDelete> delete = new java.util.HashMap<>();
      admin.listOffsets(latest).all().get().forEach((tp, o) -> delete.put(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(o.offset())));
      admin.deleteRecords(delete).all().get();
    }
    out.accept("expired every record of " + io.invoicesync.schemas.Topics.SYNCED_RETRY.name());
    releaseHeld();
  }

  /**
   * The store refuses the first (ISSUED) state of 5 new invoices (a trigger raises: a record-specific
   * transient failure), until {@link #releaseHeld}; returns their ids once each waits on the retry topic.
   */
  private List<String> holdFirstVersions(Load load, String name) throws Exception {
    try (java.sql.Connection c = stack.storeDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS chaos_block (id text PRIMARY KEY)");
      st.execute("CREATE OR REPLACE FUNCTION chaos_block() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.status = 'ISSUED' AND EXISTS "
          + "(SELECT 1 FROM chaos_block b WHERE b.id = NEW.id) THEN RAISE EXCEPTION 'chaos: invoice % is held', NEW.id; END IF; "
          + "RETURN NEW; END $$");
      st.execute("DROP TRIGGER IF EXISTS chaos_block ON invoice");
      st.execute("CREATE TRIGGER chaos_block BEFORE INSERT OR UPDATE ON invoice FOR EACH ROW EXECUTE FUNCTION chaos_block()");
    }
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add("chaos-" + name + "-" + serial + "-" + i);
    }
    try (java.sql.Connection c = stack.storeDataSource().getConnection();
         java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO chaos_block (id) SELECT unnest(?::text[])")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      ps.executeUpdate();
    }
    java.time.LocalDate today = io.invoicesync.generator.IssuingDay.today();
    try (java.sql.Connection c = stack.issuingDataSource().getConnection()) {
      for (int i = 0; i < ids.size(); i++) {
        String number = io.invoicesync.generator.IssuingDay.digitalNumber(serial * 100 + 90 + i);
        issueInvoice(c, ids.get(i), number, today, null, null, null);
        load.issuedValid(ids.get(i), "DIGITAL_GENERAL", number);
      }
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline && projectionEvents(ids).values().stream().filter(e -> e.contains("RETRIED")).count() < ids.size()) {
      Thread.sleep(500); // until every one has failed once and waits on the retry topic
    }
    return ids;
  }

  private void releaseHeld() throws java.sql.SQLException {
    try (java.sql.Connection c = stack.storeDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
      st.execute("DROP TRIGGER chaos_block ON invoice");
      st.execute("DELETE FROM chaos_block");
    }
  }

  /** Versions projected in order, retry attempts counted on (a scenario's own checks, added to the judge's). */
  private void checkOrderAndAttempts(List<String> ids) {
    for (Map.Entry<String, String> e : projectionEvents(ids).entrySet()) {
      out.accept("  " + e.getKey() + ": " + e.getValue());
      String events = e.getValue();
      if (events.indexOf("PROJECTED v2") >= 0 && events.indexOf("PROJECTED v1") > events.indexOf("PROJECTED v2")) {
        orderViolations.add(e.getKey() + " projected v2 before v1: " + events);
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("RETRIED v1 attempt (\\d+)").matcher(events);
      int last = 0;
      while (m.find()) {
        int attempt = Integer.parseInt(m.group(1));
        if (attempt <= last) {
          orderViolations.add(e.getKey() + " retry attempts started again: " + events);
          break;
        }
        last = attempt;
      }
    }
  }

  /** What went wrong in a scenario's own checks (order, attempt counts), beyond what the judge sees. */
  private final List<String> orderViolations = new ArrayList<>();

  /** Per invoice, the projector's decisions in order, from invoices.projection: "RETRIED v1 attempt 1, PROJECTED v1, ...". */
  private Map<String, String> projectionEvents(List<String> ids) {
    Map<String, String> out = new java.util.TreeMap<>();
    io.invoicesync.schemas.SerdeFactory serdes = io.invoicesync.schemas.SerdeFactory.registryLess();
    for (org.apache.kafka.clients.consumer.ConsumerRecord<String, io.invoicesync.schemas.ProjectionEvent> r
        : io.invoicesync.testkit.KafkaTestSupport.readToEnd(stack.bootstrap(), io.invoicesync.schemas.Topics.PROJECTION.name(),
            serdes.keySerde().deserializer(), serdes.valueSerde(io.invoicesync.schemas.ProjectionEvent.class).deserializer())) {
      if (ids.contains(r.key())) {
        io.invoicesync.schemas.ProjectionEvent e = r.value();
        out.merge(r.key(), e.getEvent() + " v" + e.getVersion() + (e.getAttempt() == null ? "" : " attempt " + e.getAttempt()), (a, b) -> a + ", " + b);
      }
    }
    return out;
  }

  /**
   * The issuing platform renames a column the contract needs ({@code issue_date}) and issues 5
   * invoices so: each must end rejected with its reasons, ingest must keep running; then the rename
   * is undone and the load goes on. (The load pauses meanwhile: its inserts name the column.)
   */
  private void columnRenamed(Load load) throws Exception {
    load.stopNow();
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    try (java.sql.Connection c = stack.issuingDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
      st.execute("ALTER TABLE issuing.invoice RENAME COLUMN issue_date TO issue_day");
      for (int i = 0; i < 5; i++) {
        String id = "chaos-renamed-" + serial + "-" + i;
        c.setAutoCommit(false);
        st.execute("INSERT INTO issuing.invoice (id, invoice_number, invoice_type, issue_day, issued_at, seller_name, seller_tax_id, "
            + "buyer_name, buyer_tax_id, total_amount, total_tax, grand_total) VALUES ('" + id + "', '"
            + io.invoicesync.generator.IssuingDay.digitalNumber(serial * 100 + 80 + i) + "', 'DIGITAL_GENERAL', CURRENT_DATE, now(), "
            + "'深圳市示例科技有限公司', '91440300MA5ETUPW89', '上海某某贸易有限公司', '91310000MA1FL4XQ3A', 1000.00, 130.00, 1130.00)");
        st.execute("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, quantity, unit_price, amount, tax_rate, "
            + "tax_amount, tax_code) VALUES ('" + id + "', 1, '*信息技术服务*软件维护', '次', 1, 1000, 1000.00, 0.13, 130.00, "
            + "'3040201010000000000')");
        c.commit();
        c.setAutoCommit(true);
        load.issuedPoison(id);
      }
      Thread.sleep(quick ? 2_000 : 5_000); // the renamed column stays a while, as a deployment's would
      st.execute("ALTER TABLE issuing.invoice RENAME COLUMN issue_day TO issue_date");
    }
    load.resume();
  }

  /**
   * The issuing database moves to a new cluster while ingest is down: positions go backwards. Then
   * 20 invoices that were visible before the move change status: each must end visible at its new
   * status, not be dropped as older than what was seen.
   */
  private void sourceMoved(Load load) throws Exception {
    PipelineProcess ingest = processes.get("ingest");
    stack.ageIssuing();
    Thread.sleep(5_000); // invoices issued and synced at the old cluster's high positions
    load.stopNow();
    ingest.stop();
    stack.moveIssuing();
    ingest.start(Duration.ofMinutes(3));
    load.resume();
    List<String> earlier = new ArrayList<>();
    try (java.sql.Connection c = stack.storeDataSource().getConnection();
         java.sql.PreparedStatement ps = c.prepareStatement("SELECT id FROM invoice WHERE status = 'ISSUED' AND grand_total > 0 "
             + "ORDER BY source_lsn DESC LIMIT 20")) {
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          earlier.add(rs.getString(1));
        }
      }
    }
    try (java.sql.Connection c = stack.issuingDataSource().getConnection();
         java.sql.PreparedStatement ps = c.prepareStatement("UPDATE issuing.invoice SET status = CASE WHEN invoice_type LIKE '%PAPER' "
             + "THEN 'VOIDED' ELSE 'PARTIALLY_RED_FLUSHED' END WHERE id = ANY (?) AND status = 'ISSUED'")) {
      ps.setArray(1, c.createArrayOf("text", earlier.toArray()));
      out.accept("moved the issuing database to a new cluster; changed the status of " + ps.executeUpdate() + " earlier invoices");
    }
  }

  /**
   * One valid invoice of 60,000 lines (1.00 at 13% each; about 8 MB as a change, far over Kafka's
   * 1 MB default record size), header and lines in one transaction: it must end visible whole, and
   * the invoices issued after it must not wait behind it.
   */
  private void hugeInvoice(Load load) throws Exception {
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    String id = "chaos-huge-" + serial;
    String number = io.invoicesync.generator.IssuingDay.digitalNumber(serial * 100 + 70);
    try (java.sql.Connection c = stack.issuingDataSource().getConnection();
         java.sql.PreparedStatement header = c.prepareStatement("INSERT INTO issuing.invoice (id, invoice_number, invoice_type, issue_date, "
             + "issued_at, seller_name, seller_tax_id, buyer_name, buyer_tax_id, total_amount, total_tax, grand_total) VALUES (?, ?, "
             + "'DIGITAL_GENERAL', ?, ?, '深圳市示例科技有限公司', '91440300MA5ETUPW89', '上海某某贸易有限公司', '91310000MA1FL4XQ3A', "
             + "60000.00, 7800.00, 67800.00)");
         java.sql.PreparedStatement lines = c.prepareStatement("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, "
             + "quantity, unit_price, amount, tax_rate, tax_amount, tax_code) SELECT ?, n, '*信息技术服务*软件维护', '次', 1, 1, 1.00, 0.13, "
             + "0.13, '3040201010000000000' FROM generate_series(1, " + HUGE_LINES + ") AS n")) {
      c.setAutoCommit(false);
      java.time.LocalDate today = io.invoicesync.generator.IssuingDay.today();
      header.setString(1, id);
      header.setString(2, number);
      header.setObject(3, today);
      header.setObject(4, today.atTime(10, 0));
      header.executeUpdate();
      lines.setString(1, id);
      lines.executeUpdate();
      c.commit();
    }
    load.issuedValid(id, "DIGITAL_GENERAL", number);
    out.accept("issued " + id + " with " + HUGE_LINES + " lines");
  }

  private static final int HUGE_LINES = 60_000;

  /**
   * One digital invoice of one line (1,000.00 at 13%), header and line in one transaction as the
   * platform issues them; {@code issueDate} null leaves the date out (the column must allow it).
   */
  private static void issueInvoice(java.sql.Connection c, String id, String number, java.time.LocalDate issueDate, String sellerAddress,
      String buyerAddress, String remarks) throws java.sql.SQLException {
    c.setAutoCommit(false);
    try (java.sql.PreparedStatement header = c.prepareStatement("INSERT INTO issuing.invoice (id, invoice_number, invoice_type, "
        + "issue_date, issued_at, seller_name, seller_tax_id, seller_address_phone, buyer_name, buyer_tax_id, buyer_address_phone, "
        + "total_amount, total_tax, grand_total, remarks) VALUES (?, ?, 'DIGITAL_GENERAL', ?, ?, '深圳市示例科技有限公司', "
        + "'91440300MA5ETUPW89', ?, '上海某某贸易有限公司', '91310000MA1FL4XQ3A', ?, 1000.00, 130.00, 1130.00, ?)");
         java.sql.PreparedStatement line = c.prepareStatement("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, "
             + "quantity, unit_price, amount, tax_rate, tax_amount, tax_code) VALUES (?, 1, '*信息技术服务*软件维护', '次', 1, 1000, 1000.00, "
             + "0.13, 130.00, '3040201010000000000')")) {
      header.setString(1, id);
      header.setString(2, number);
      header.setObject(3, issueDate);
      header.setObject(4, issueDate == null ? java.time.LocalDateTime.now() : issueDate.atTime(10, 0));
      header.setString(5, sellerAddress);
      header.setString(6, buyerAddress);
      header.setString(7, remarks);
      header.executeUpdate();
      line.setString(1, id);
      line.executeUpdate();
      c.commit();
    }
  }

  /**
   * The query store refuses writes, as during a failover or on a standby: every new session is
   * read-only, and the sessions open now are ended so that the pools reconnect into it.
   */
  private void storeReadOnly(boolean readOnly) throws java.sql.SQLException {
    try (java.sql.Connection c = stack.storeDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
      st.execute("SET default_transaction_read_only = off"); // this session writes, whatever the database's default now is
      st.execute("ALTER DATABASE querystore SET default_transaction_read_only = " + readOnly);
      st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'querystore' AND pid <> pg_backend_pid()");
    }
  }

  private int wideVisible(List<String> ids) {
    try (java.sql.Connection c = stack.storeDataSource().getConnection();
         java.sql.PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM invoice WHERE id = ANY (?) AND length(remarks) >= 480")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (java.sql.SQLException e) {
      return 0;
    }
  }

  private String cjk(int n) {
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append((char) (0x4E00 + random.nextInt(0x9FA5 - 0x4E00)));
    }
    return b.toString();
  }

  private static void restart(PipelineProcess p) throws Exception {
    p.kill();
    p.start(Duration.ofMinutes(3));
  }

  /** Restarts every process that is not running any more, as an orchestrator would; how many. */
  private int restartDead() throws Exception {
    int n = 0;
    for (PipelineProcess p : processes.values()) {
      if (!p.alive()) {
        out.accept(p.name + " exited (see " + p.log() + "): restarting it");
        p.start(Duration.ofMinutes(3));
        n++;
      }
    }
    return n;
  }

  private void useLayout(Scenario.Layout wanted) throws Exception {
    if (wanted == layout) {
      restartDead();
      return;
    }
    boolean wasCluster = layout == Scenario.Layout.SPLIT_RF3;
    stopAll();
    if (wasCluster) {
      stack.useSingleBroker();
      try (java.sql.Connection c = stack.issuingDataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
        st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + Stack.CLUSTER_SLOT + "'");
      }
    }
    Path cfg = config;
    if (wanted == Scenario.Layout.SPLIT_RF3) {
      stack.useCluster();
      write(clusterConfig, stack.clusterRunConfig());
      cfg = clusterConfig;
    }
    if (wanted == Scenario.Layout.ONE_PROCESS) {
      processes.put("pipeline", new PipelineProcess("pipeline", "ingest,streams,projector,api", cfg, logs));
    } else {
      processes.put("ingest", new PipelineProcess("ingest", "ingest", cfg, logs));
      processes.put("streams", new PipelineProcess("streams", "streams", cfg, logs));
      processes.put("projector", new PipelineProcess("projector", "projector,api", cfg, logs));
    }
    for (PipelineProcess p : processes.values()) {
      p.start(Duration.ofMinutes(3));
    }
    layout = wanted;
  }

  private void stopAll() throws InterruptedException {
    for (PipelineProcess p : processes.values()) {
      p.stop();
    }
    processes.clear();
    layout = null;
  }

  @Override
  public void close() throws InterruptedException {
    stopAll();
  }
}
