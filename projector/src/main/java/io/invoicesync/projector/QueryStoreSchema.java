package io.invoicesync.projector;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** The query store's schema (db/querystore), owned by the projector; query-api reads it. */
public final class QueryStoreSchema {

  private QueryStoreSchema() {
  }

  public static void migrate(DataSource dataSource) {
    Flyway.configure().dataSource(dataSource).locations("classpath:db/querystore").load().migrate();
  }

  public static void migrate(String jdbcUrl, String user, String password) {
    Flyway.configure().dataSource(jdbcUrl, user, password).locations("classpath:db/querystore").load().migrate();
  }
}
