package io.invoicesync.chaos;

import io.invoicesync.generator.IssuingDay;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.KafkaTestSupport;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The faults in what the issuing platform sends: wide rows, a poison null, a renamed column, a moved source, a huge invoice. */
final class DataFaults {

  private static final int HUGE_LINES = 60_000;

  private final Stack stack;
  private final boolean quick;
  private final Random random;
  private final Consumer<String> out;

  /** {@code random} is the runner's own: the text of the wide rows and the moments of the faults come from one seeded sequence. */
  DataFaults(Stack stack, boolean quick, Random random, Consumer<String> out) {
    this.stack = stack;
    this.quick = quick;
    this.random = random;
    this.out = out;
  }

  /**
   * 20 valid invoices are issued with long remarks and addresses (random CJK text, so PostgreSQL
   * stores them out of line, TOASTed, instead of compressing them away); once they are visible, an
   * update touches each row without changing those columns ({@code updated_at}, which the issuing
   * platform's triggers allow): with REPLICA IDENTITY DEFAULT, PostgreSQL does not send the long
   * values, and Debezium says {@code __debezium_unavailable_value}. The store must end equal to the
   * source on every column.
   */
  Boolean wideRows(Load load) throws Exception {
    List<String> ids = new ArrayList<>();
    LocalDate today = IssuingDay.today();
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    try (Connection c = stack.issuingDataSource().getConnection()) {
      for (int i = 0; i < 20; i++) {
        String id = "chaos-wide-" + serial + "-" + i;
        String number = IssuingDay.digitalNumber(serial * 100 + i);
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
    try (Connection c = stack.issuingDataSource().getConnection(); Statement st = c.createStatement();
         PreparedStatement touch = c.prepareStatement("UPDATE issuing.invoice SET updated_at = now() WHERE id = ?")) {
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
    return placeholderCaptured(Set.copyOf(ids));
  }

  /**
   * The fault took effect when Debezium really sent its placeholder for an unchanged TOASTed value:
   * a change of one of {@code ids} on invoices.captured carries it (an Avro string's bytes are its UTF-8).
   */
  private boolean placeholderCaptured(Set<String> ids) throws InterruptedException {
    String placeholder = "__debezium_unavailable_value"; // Debezium's default unavailable.value.placeholder (sync-streams' UnavailableValues)
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : KafkaTestSupport.readToEnd(stack.bootstrap(), Topics.CAPTURED.name(), new StringDeserializer(),
          new ByteArrayDeserializer())) {
        if (ids.contains(r.key()) && r.value() != null && new String(r.value(), StandardCharsets.UTF_8).contains(placeholder)) {
          return true;
        }
      }
      Thread.sleep(1_000); // until ingest has captured the touch
    }
    out.accept("toast-wide-rows: no placeholder for the touched invoices on " + Topics.CAPTURED.name() + " within a minute");
    return false;
  }

  /**
   * The issuing platform lets a column the contract needs be NULL (its NOT NULL dropped), and issues
   * 5 invoices without an issue date among the load: each must end rejected with its reasons, and
   * everything else keep flowing (no process may end).
   */
  boolean poisonNull(Load load) throws Exception {
    try (Connection c = stack.issuingDataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE issuing.invoice ALTER COLUMN issue_date DROP NOT NULL");
    }
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    List<String> ids = new ArrayList<>();
    try (Connection c = stack.issuingDataSource().getConnection()) {
      for (int i = 0; i < 5; i++) {
        String id = "chaos-null-" + serial + "-" + i;
        issueInvoice(c, id, IssuingDay.digitalNumber(serial * 100 + 50 + i), null, null, null, null);
        load.issuedPoison(id);
        ids.add(id);
      }
    }
    // the fault took effect: the platform really committed invoices without the date the contract needs
    return count("SELECT count(*) FROM issuing.invoice WHERE id = ANY (?) AND issue_date IS NULL", ids) == ids.size();
  }

  /** A count over the issuing database, with {@code ids} as its one array parameter. */
  private long count(String sql, List<String> ids) throws SQLException {
    try (Connection c = stack.issuingDataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * The issuing platform renames a column the contract needs ({@code issue_date}) and issues 5
   * invoices so: each must end rejected with its reasons, ingest must keep running; then the rename
   * is undone and the load goes on. (The load pauses meanwhile: its inserts name the column.)
   */
  boolean columnRenamed(Load load) throws Exception {
    load.stopNow();
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    List<String> ids = new ArrayList<>();
    try (Connection c = stack.issuingDataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE issuing.invoice RENAME COLUMN issue_date TO issue_day");
      for (int i = 0; i < 5; i++) {
        String id = "chaos-renamed-" + serial + "-" + i;
        c.setAutoCommit(false);
        st.execute("INSERT INTO issuing.invoice (id, invoice_number, invoice_type, issue_day, issued_at, seller_name, seller_tax_id, "
            + "buyer_name, buyer_tax_id, total_amount, total_tax, grand_total) VALUES ('" + id + "', '"
            + IssuingDay.digitalNumber(serial * 100 + 80 + i) + "', 'DIGITAL_GENERAL', CURRENT_DATE, now(), "
            + "'深圳市示例科技有限公司', '91440300MA5ETUPW89', '上海某某贸易有限公司', '91310000MA1FL4XQ3A', 1000.00, 130.00, 1130.00)");
        st.execute("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, quantity, unit_price, amount, tax_rate, "
            + "tax_amount, tax_code) VALUES ('" + id + "', 1, '*信息技术服务*软件维护', '次', 1, 1000, 1000.00, 0.13, 130.00, "
            + "'3040201010000000000')");
        c.commit();
        c.setAutoCommit(true);
        load.issuedPoison(id);
        ids.add(id);
      }
      Thread.sleep(quick ? 2_000 : 5_000); // the renamed column stays a while, as a deployment's would
      st.execute("ALTER TABLE issuing.invoice RENAME COLUMN issue_day TO issue_date");
    }
    load.resume();
    // the fault took effect: the invoices were committed while the column had its other name (the inserts
    // above name issue_day and would have failed otherwise), and they are there
    return count("SELECT count(*) FROM issuing.invoice WHERE id = ANY (?)", ids) == ids.size();
  }

  /**
   * The issuing database moves to a new cluster while ingest is down: positions go backwards. Then
   * 20 invoices that were visible before the move change status: each must end visible at its new
   * status, not be dropped as older than what was seen.
   */
  boolean sourceMoved(Load load, PipelineProcess ingest) throws Exception {
    stack.ageIssuing();
    Thread.sleep(5_000); // invoices issued and synced at the old cluster's high positions
    load.stopNow();
    ingest.stop();
    String[] before = clusterAndPosition();
    stack.moveIssuing();
    String[] after = clusterAndPosition();
    // the fault took effect: another cluster (system identifier), whose WAL position is below the old one's
    boolean moved = !before[0].equals(after[0]) && Long.parseLong(after[1]) < Long.parseLong(before[1]);
    out.accept("issuing cluster " + before[0] + " at WAL byte " + before[1] + " -> cluster " + after[0] + " at " + after[1]);
    ingest.start(Duration.ofMinutes(3));
    load.resume();
    List<String> earlier = new ArrayList<>();
    try (Connection c = stack.storeDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT id FROM invoice WHERE status = 'ISSUED' AND grand_total > 0 "
             + "ORDER BY source_lsn DESC LIMIT 20")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          earlier.add(rs.getString(1));
        }
      }
    }
    try (Connection c = stack.issuingDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("UPDATE issuing.invoice SET status = CASE WHEN invoice_type LIKE '%PAPER' "
             + "THEN 'VOIDED' ELSE 'PARTIALLY_RED_FLUSHED' END WHERE id = ANY (?) AND status = 'ISSUED'")) {
      ps.setArray(1, c.createArrayOf("text", earlier.toArray()));
      out.accept("moved the issuing database to a new cluster; changed the status of " + ps.executeUpdate() + " earlier invoices");
    }
    return moved;
  }

  /** The issuing cluster's system identifier and its current WAL position, in bytes. */
  private String[] clusterAndPosition() throws SQLException {
    try (Connection c = stack.issuingDataSource().getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT (SELECT system_identifier FROM pg_control_system())::text, "
             + "(pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint::text")) {
      rs.next();
      return new String[] {rs.getString(1), rs.getString(2)};
    }
  }

  /**
   * One valid invoice of 60,000 lines (1.00 at 13% each; about 8 MB as a change, far over Kafka's
   * 1 MB default record size), header and lines in one transaction: it must end visible whole, and
   * the invoices issued after it must not wait behind it.
   */
  boolean hugeInvoice(Load load) throws Exception {
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    String id = "chaos-huge-" + serial;
    String number = IssuingDay.digitalNumber(serial * 100 + 70);
    try (Connection c = stack.issuingDataSource().getConnection();
         PreparedStatement header = c.prepareStatement("INSERT INTO issuing.invoice (id, invoice_number, invoice_type, issue_date, "
             + "issued_at, seller_name, seller_tax_id, buyer_name, buyer_tax_id, total_amount, total_tax, grand_total) VALUES (?, ?, "
             + "'DIGITAL_GENERAL', ?, ?, '深圳市示例科技有限公司', '91440300MA5ETUPW89', '上海某某贸易有限公司', '91310000MA1FL4XQ3A', "
             + "60000.00, 7800.00, 67800.00)");
         PreparedStatement lines = c.prepareStatement("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, "
             + "quantity, unit_price, amount, tax_rate, tax_amount, tax_code) SELECT ?, n, '*信息技术服务*软件维护', '次', 1, 1, 1.00, 0.13, "
             + "0.13, '3040201010000000000' FROM generate_series(1, " + HUGE_LINES + ") AS n")) {
      c.setAutoCommit(false);
      LocalDate today = IssuingDay.today();
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
    // the fault took effect: the platform committed every line in the one transaction
    return count("SELECT count(*) FROM issuing.invoice_line WHERE invoice_id = ANY (?)", List.of(id)) == HUGE_LINES;
  }

  /**
   * One digital invoice of one line (1,000.00 at 13%), header and line in one transaction as the
   * platform issues them; {@code issueDate} null leaves the date out (the column must allow it).
   */
  static void issueInvoice(Connection c, String id, String number, LocalDate issueDate, String sellerAddress, String buyerAddress,
      String remarks) throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement header = c.prepareStatement("INSERT INTO issuing.invoice (id, invoice_number, invoice_type, "
        + "issue_date, issued_at, seller_name, seller_tax_id, seller_address_phone, buyer_name, buyer_tax_id, buyer_address_phone, "
        + "total_amount, total_tax, grand_total, remarks) VALUES (?, ?, 'DIGITAL_GENERAL', ?, ?, '深圳市示例科技有限公司', "
        + "'91440300MA5ETUPW89', ?, '上海某某贸易有限公司', '91310000MA1FL4XQ3A', ?, 1000.00, 130.00, 1130.00, ?)");
         PreparedStatement line = c.prepareStatement("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, "
             + "quantity, unit_price, amount, tax_rate, tax_amount, tax_code) VALUES (?, 1, '*信息技术服务*软件维护', '次', 1, 1000, 1000.00, "
             + "0.13, 130.00, '3040201010000000000')")) {
      header.setString(1, id);
      header.setString(2, number);
      header.setObject(3, issueDate);
      header.setObject(4, issueDate == null ? LocalDateTime.now() : issueDate.atTime(10, 0));
      header.setString(5, sellerAddress);
      header.setString(6, buyerAddress);
      header.setString(7, remarks);
      header.executeUpdate();
      line.setString(1, id);
      line.executeUpdate();
      c.commit();
    }
  }

  private int wideVisible(List<String> ids) {
    try (Connection c = stack.storeDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM invoice WHERE id = ANY (?) AND length(remarks) >= 480")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
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
}
