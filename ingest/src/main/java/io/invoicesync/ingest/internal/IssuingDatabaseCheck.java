package io.invoicesync.ingest.internal;

import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.IngestStartupException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before Debezium starts, that the issuing database can be captured, and creates the
 * publication when it is missing. Every failure names the setting or object to fix.
 */
public final class IssuingDatabaseCheck {

  private static final Logger log = LoggerFactory.getLogger(IssuingDatabaseCheck.class);

  private IssuingDatabaseCheck() {
  }

  public static void verify(IngestConfig config) {
    String where = config.getString(IngestConfig.DATABASE_HOSTNAME) + ":" + config.getInt(IngestConfig.DATABASE_PORT)
        + "/" + config.getString(IngestConfig.DATABASE_DBNAME);
    Properties props = config.jdbcProperties();
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), props)) {
      checkWalLevel(c, where);
      List<String> tables = new ArrayList<>(List.of(config.qualifiedInvoiceTable(), config.qualifiedLineTable()));
      List<String> ours = new ArrayList<>();
      if (config.qualifiedHeartbeatTable() != null) {
        ours.add(config.qualifiedHeartbeatTable());
      }
      if (config.qualifiedSignalTable() != null) {
        ours.add(config.qualifiedSignalTable());
      }
      tables.addAll(ours);
      for (String table : tables) {
        checkTableExists(c, table, where);
      }
      warnReplicaIdentity(c, List.of(config.qualifiedInvoiceTable(), config.qualifiedLineTable()));
      ensurePublication(c, config.getString(IngestConfig.PUBLICATION_NAME), tables, ours, where);
      checkSlot(c, config.getString(IngestConfig.SLOT_NAME), config.getString(IngestConfig.DATABASE_DBNAME), where);
    } catch (SQLException e) {
      throw new IngestStartupException("cannot check issuing database " + where + ": " + e.getMessage(), e);
    }
  }

  /**
   * The issuing cluster's generation, for ordering positions across clusters: IDENTIFY_SYSTEM (on a
   * replication connection, which ingest's user may open anyway) gives the system identifier, whose
   * high 32 bits are the cluster's initdb time in seconds, and the current timeline. A database
   * restored from a backup runs on a new, higher timeline; one moved to a new cluster (dump and
   * restore) has a later initdb time: either way its WAL positions start again lower than those
   * read before, and the epoch keeps them ordered after them.
   */
  public static long epoch(IngestConfig config) {
    try (Connection c = identityConnection(config)) {
      return epoch(c);
    } catch (SQLException e) {
      throw new IngestStartupException("cannot identify the issuing cluster (IDENTIFY_SYSTEM on a replication connection to "
          + config.jdbcUrl() + "): " + e.getMessage() + "; ingest's user needs the REPLICATION attribute", e);
    }
  }

  /** A replication (walsender) connection to the issuing database, which takes IDENTIFY_SYSTEM. */
  public static Connection identityConnection(IngestConfig config) throws SQLException {
    Properties props = config.jdbcProperties();
    props.setProperty("replication", "database"); // pgjdbc's keys: a walsender connection that takes replication commands
    props.setProperty("assumeMinServerVersion", "9.4");
    props.setProperty("preferQueryMode", "simple");
    return DriverManager.getConnection(config.jdbcUrl(), props);
  }

  /** The epoch of the cluster {@code c} (from {@link #identityConnection}) is connected to. */
  public static long epoch(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
      rs.next();
      return epoch(Long.parseUnsignedLong(rs.getString("systemid")), rs.getInt("timeline"));
    }
  }

  /** (initdb seconds) x 1000 + timeline. */
  static long epoch(long systemIdentifier, int timeline) {
    return (systemIdentifier >>> 32) * 1000 + Math.min(timeline, 999);
  }

  static void checkWalLevel(Connection c, String where) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW wal_level")) {
      rs.next();
      String level = rs.getString(1);
      if (!"logical".equals(level)) {
        throw new IngestStartupException("wal_level is '" + level + "' on " + where
            + "; change data capture with pgoutput needs wal_level=logical. Set it in postgresql.conf "
            + "(or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL.");
      }
    }
  }

  /**
   * Under REPLICA IDENTITY DEFAULT an UPDATE does not carry unchanged TOASTed (long) values, and
   * Debezium sends a placeholder; sync-streams puts the previous state's value back (and rejects the
   * change, saying so, when it has none). FULL makes that unnecessary: worth a line in the log.
   */
  static void warnReplicaIdentity(Connection c, List<String> tables) throws SQLException {
    for (String table : tables) {
      try (PreparedStatement ps = c.prepareStatement("SELECT relreplident FROM pg_class WHERE oid = to_regclass(?)")) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && !"f".equals(rs.getString(1))) {
            log.info("{} has REPLICA IDENTITY {}: updates do not carry unchanged long (TOASTed) values, which sync-streams fills in "
                + "from the invoice's previous state; ALTER TABLE {} REPLICA IDENTITY FULL sends them whole", table,
                "d".equals(rs.getString(1)) ? "DEFAULT" : rs.getString(1), table);
          }
        }
      }
    }
  }

  private static void checkTableExists(Connection c, String qualified, String where) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, qualified);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new IngestStartupException("table " + qualified + " does not exist in " + where
              + "; check " + IngestConfig.MAPPING_FILE + " (the tables it names; 'invoice-sync mapping check' checks them), or without one "
              + IngestConfig.SOURCE_SCHEMA + " / " + IngestConfig.INVOICE_TABLE + " / " + IngestConfig.LINE_TABLE
              + " (the reference schema is ingest/src/main/resources/db/issuing)");
        }
      }
    }
  }

  /** @param ours tables that are invoice-sync's own (heartbeat, signals): added to an existing publication when missing */
  private static void ensurePublication(Connection c, String publication, List<String> tables, List<String> ours, String where)
      throws SQLException {
    boolean exists;
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        exists = rs.next();
      }
    }
    if (!exists) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE PUBLICATION " + quoteIdent(publication) + " FOR TABLE " + String.join(", ", tables));
      }
      log.info("created publication {} for {} in {}", publication, tables, where);
      return;
    }
    Set<String> published = new LinkedHashSet<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          published.add(rs.getString(1));
        }
      }
    }
    List<String> oursMissing = ours.stream().filter(t -> !published.contains(t)).toList();
    if (!oursMissing.isEmpty()) {
      try (Statement s = c.createStatement()) {
        s.execute("ALTER PUBLICATION " + quoteIdent(publication) + " ADD TABLE " + String.join(", ", oursMissing));
      }
      log.info("added {} to publication {} in {}", oursMissing, publication, where);
      published.addAll(oursMissing);
    }
    List<String> missing = tables.stream().filter(t -> !published.contains(t)).toList();
    if (!missing.isEmpty()) {
      throw new IngestStartupException("publication " + publication + " in " + where + " does not include " + missing
          + " (it has " + published + "); run ALTER PUBLICATION " + publication + " ADD TABLE " + String.join(", ", missing));
    }
  }

  private static void checkSlot(Connection c, String slot, String database, String where) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT plugin, database, slot_type FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return; // Debezium creates it
        }
        if (!"pgoutput".equals(rs.getString(1)) || !database.equals(rs.getString(2)) || !"logical".equals(rs.getString(3))) {
          throw new IngestStartupException("replication slot " + slot + " in " + where + " exists with plugin="
              + rs.getString(1) + ", database=" + rs.getString(2) + ", type=" + rs.getString(3)
              + "; ingest needs a logical pgoutput slot on " + database + ": drop it or choose another " + IngestConfig.SLOT_NAME);
        }
      }
    }
  }

  private static String quoteIdent(String id) {
    return "\"" + id.replace("\"", "\"\"") + "\"";
  }
}
