package io.invoicesync.api;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.QueryStoreSchema;
import java.nio.file.Path;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/** The query store the API reads, on embedded PostgreSQL, migrated: what each API IT starts from. */
record TestQueryStore(EmbeddedPostgresServer pg, PGSimpleDataSource dataSource) {

  static TestQueryStore start(Path dir) {
    EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir, List.of("querystore"));
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl("querystore"));
    QueryStoreSchema.migrate(ds);
    return new TestQueryStore(pg, ds);
  }

  String jdbcUrl() {
    return pg.jdbcUrl("querystore");
  }
}
