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

  private static final ConfigDef DEF = new ConfigDef()
      .define(PORT, Type.INT, 8080, Range.between(0, 65535), Importance.HIGH, "HTTP port; 0 = any free port.")
      .define(JDBC_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Query store JDBC URL (a read replica is fine).")
      .define(JDBC_USER, Type.STRING, "postgres", Importance.HIGH, "Query store user (read-only suffices).")
      .define(JDBC_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Query store password.")
      .define(POOL_SIZE, Type.INT, 4, Range.between(1, 200), Importance.LOW, "JDBC connection pool size.")
      .define(DEFAULT_LIMIT, Type.INT, 50, Range.between(1, 10_000), Importance.LOW, "Page size when 'limit' is not given.")
      .define(MAX_LIMIT, Type.INT, 500, Range.between(1, 10_000), Importance.LOW, "Largest page size a client may ask for.");

  public QueryApiConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
  }

  public static ConfigDef configDef() {
    return DEF;
  }
}
