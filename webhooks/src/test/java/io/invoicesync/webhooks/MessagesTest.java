package io.invoicesync.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.projector.QueryStoreSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** The dispatcher's store on a real PostgreSQL: the claim by due time, and fresh statistics after a burst. */
class MessagesTest {

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static PGSimpleDataSource store;

  @BeforeAll
  static void start() {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), "replica", List.of("querystore"));
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
    store = new PGSimpleDataSource();
    store.setUrl(pg.jdbcUrl("querystore"));
    store.setUser("postgres");
  }

  @AfterAll
  static void stop() throws Exception {
    pg.close();
  }

  private static Endpoint endpoint(String name) throws Exception {
    return new Endpoints(store).create(Tenant.ALL, new Endpoints.Spec("https://erp.example.com/" + name, name, List.of("invoice.visible"), null,
        null, null), false, false);
  }

  private static List<Messages.New> messages(Endpoint ep, String prefix, int n) {
    List<Messages.New> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Messages.New(prefix + i, ep.id(), EventType.INVOICE_VISIBLE, prefix + "inv" + i, prefix + "inv" + i, 1, "{}", Instant.now(),
          Messages.Initial.PENDING));
    }
    return out;
  }

  private static void enqueue(Messages messages, List<Messages.New> batch) throws Exception {
    try (Connection c = store.getConnection()) {
      messages.enqueue(c, batch);
    }
  }

  private static long analyzeCount() throws Exception {
    try (Connection c = store.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'webhook_message'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aBurstOfWaitingMessagesRefreshesThePlannersStatisticsOnce() throws Exception {
    Endpoint ep = endpoint("burst");
    Messages messages = new Messages(store);
    enqueue(messages, messages(ep, "b-", 400));
    assertThat(messages.grew(400)).as("400 waiting: below the burst's size").isFalse();
    long before = analyzeCount();
    enqueue(messages, messages(ep, "c-", Messages.ANALYZE_AFTER_ROWS));
    assertThat(messages.grew(Messages.ANALYZE_AFTER_ROWS)).as("1,400 since the last: refreshed").isTrue();
    // pg_stat_user_tables is updated when the backend reports its statistics
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> analyzeCount() > before);
    assertThat(messages.grew(Messages.ANALYZE_AFTER_ROWS)).as("again within the interval: not yet").isFalse();
  }

  @Test
  void theClaimTakesDueMessagesAndSkipsThoseWaitingForALaterRetry() throws Exception {
    Endpoint ep = endpoint("due");
    Messages messages = new Messages(store);
    enqueue(messages, messages(ep, "w-", 50));
    enqueue(messages, messages(ep, "d-", 3));
    // the first 50 wait for a retry in an hour (an endpoint that was failing); the 3 enqueued after them are due
    try (Connection c = store.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE webhook_message SET next_attempt_at = now() + interval '1 hour' WHERE id LIKE 'w-%'");
    }
    List<Messages.Claimed> claimed = messages.claim(64, 16, Duration.ofSeconds(30), null).stream()
        .filter(m -> m.endpointId().equals(ep.id())).toList();
    assertThat(claimed).extracting(Messages.Claimed::id).containsExactly("d-0", "d-1", "d-2");
    assertThat(messages.claim(64, 16, Duration.ofSeconds(30), null).stream().filter(m -> m.endpointId().equals(ep.id())))
        .as("leased: not claimed again while in flight").isEmpty();
  }
}
