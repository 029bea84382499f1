package io.invoicesync.api;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Configuration of the query API; validated at start-up, every key documented with its default. */
public final class QueryApiConfig extends AbstractConfig {

  public static final String PORT = "port";
  public static final String JDBC_URL = "jdbc.url";
  public static final String JDBC_USER = "jdbc.user";
  public static final String JDBC_PASSWORD = "jdbc.password";
  public static final String DEFAULT_LIMIT = "search.default.limit";
  public static final String MAX_LIMIT = "search.max.limit";
  public static final String POOL_SIZE = "jdbc.pool.size";
  public static final String SOURCE_JDBC_URL = "source.jdbc.url";
  public static final String SOURCE_JDBC_USER = "source.jdbc.user";
  public static final String SOURCE_JDBC_PASSWORD = "source.jdbc.password";
  public static final String SOURCE_SCHEMA = "source.schema";
  public static final String SOURCE_SLOT = "source.slot.name";

  private static final ConfigDef DEF = new ConfigDef()
      .define(PORT, Type.INT, 8080, Range.between(0, 65535), Importance.HIGH, "HTTP port; 0 = any free port.")
      .define(JDBC_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Query store JDBC URL (a read replica is fine).")
      .define(JDBC_USER, Type.STRING, "postgres", Importance.HIGH, "Query store user (read-only suffices).")
      .define(JDBC_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Query store password.")
      .define(POOL_SIZE, Type.INT, 4, Range.between(1, 200), Importance.LOW, "JDBC connection pool size.")
      .define(DEFAULT_LIMIT, Type.INT, 50, Range.between(1, 10_000), Importance.LOW, "Page size when 'limit' is not given.")
      .define(MAX_LIMIT, Type.INT, 500, Range.between(1, 10_000), Importance.LOW, "Largest page size a client may ask for.")
      .define(SOURCE_JDBC_URL, Type.STRING, "", Importance.MEDIUM,
          "Read-only access to the issuing database, so trace can say NOT_CAPTURED ('committed at T, not captured yet; capture is "
              + "N s behind') and status can show the replication slot's lag. Empty = off (the default): trace then says UNKNOWN for "
              + "an invoice the pipeline never saw. A user with SELECT on the invoice table and pg_replication_slots suffices.")
      .define(SOURCE_JDBC_USER, Type.STRING, "postgres", Importance.MEDIUM, "Issuing database user for source access (read-only suffices).")
      .define(SOURCE_JDBC_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM, "Issuing database password for source access.")
      .define(SOURCE_SCHEMA, Type.STRING, "issuing", Importance.LOW, "Schema of the issuing platform's invoice table.")
      .define(SOURCE_SLOT, Type.STRING, "invoice_sync", Importance.LOW, "Ingest's replication slot, whose lag status reports.");

  public QueryApiConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
  }

  /** A copy of the definition: a caller cannot change what this class validates. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }
}
