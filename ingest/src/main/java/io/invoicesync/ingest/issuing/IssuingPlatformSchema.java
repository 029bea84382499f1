package io.invoicesync.ingest.issuing;

import org.flywaydb.core.Flyway;

/**
 * The issuing platform's database schema that ingest expects (db/issuing): invoice headers of both
 * generations, lines, status, red-letter link, and the triggers that keep issued content immutable.
 * A real issuing platform owns its own schema; this migration creates it for the demo, the tests
 * and anyone evaluating invoice-sync.
 */
public final class IssuingPlatformSchema {

  private IssuingPlatformSchema() {
  }

  public static void migrate(String jdbcUrl, String user, String password) {
    Flyway.configure()
        .dataSource(jdbcUrl, user, password)
        .locations("classpath:db/issuing")
        .schemas("issuing")
        .table("issuing_schema_history")
        .load()
        .migrate();
  }
}
