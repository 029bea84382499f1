package io.invoicesync.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM killed with SIGKILL leaves its embedded PostgreSQL running (pg_ctl daemonizes it): the
 * next start on the same data directory stops that orphan and comes up with the data; a start
 * while the owner still runs is refused, naming it.
 */
class OrphanedPostgresIT {

  /** The child JVM: starts the server on args[0], says so, and waits to be killed. */
  public static void main(String[] args) throws Exception {
    EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(Path.of(args[0]), List.of("orphan"));
    try (Connection c = pg.connect("orphan"); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS kept (v int); INSERT INTO kept VALUES (42)");
    }
    System.out.println("ready " + pg.port());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  @Test
  void aServerLeftByAKilledJvmIsStoppedAndItsDataServedAgain(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("pg");
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp", classpath,
        OrphanedPostgresIT.class.getName(), data.toString()).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("ready")) {
        // the child's log until it is ready
      }
      assertThat(line).as("the child started its server").startsWith("ready");

      // while the owner runs, a second start is refused and names it
      assertThatThrownBy(() -> EmbeddedPostgresServer.start(data, List.of("orphan")))
          .hasMessageContaining("belongs to process " + child.pid()).hasMessageContaining("still running");

      child.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook, no pg_ctl stop
    }
    long orphan = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).as("the orphaned PostgreSQL still runs").contains(true);

    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(data, List.of("orphan"));
         Connection c = pg.connect("orphan"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM kept")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(42);
      assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false)).as("the orphan was stopped").isFalse();
    }
  }
}
