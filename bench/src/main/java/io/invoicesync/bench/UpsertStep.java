package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.round;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.projector.QueryStoreWriter;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.testkit.InvoiceFixtures;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/** Step 4, the query store's ceiling: the projector's own SQL ({@link QueryStoreWriter}), 1,000 invoices per transaction. */
final class UpsertStep {

  /** @param invoicesPerS invoices (3 lines on average) upserted per second */
  record Result(double invoicesPerS) {
  }

  private UpsertStep() {
  }

  static Result run(BenchRun run) throws Exception {
    int n = run.quick() ? 20_000 : 50_000;
    List<InvoiceState> states = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      states.add(InvoiceFixtures.synced(InvoiceFixtures.digitalInvoice("u-" + i, 1 + i % 5), 1, i + 1));
    }
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(run.work().resolve("pg-upsert"), List.of("querystore"))) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(pg.jdbcUrl("querystore"));
      QueryStoreSchema.migrate(ds);
      QueryStoreWriter w = new QueryStoreWriter(ds);
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i += 1000) {
        w.write(states.subList(i, Math.min(n, i + 1000)));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      log("   %d invoices (3 lines average) upserted in %.1f s", n, seconds);
      return new Result(round(n / seconds));
    }
  }
}
