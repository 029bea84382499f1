package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class InvoiceSyncCommandTest {

  static String[] run(String... args) {
    CommandLine cmd = InvoiceSyncCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int code = cmd.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void shouldDocumentDemoAndRunWithExamples() {
    String[] demo = run("demo", "--help");
    assertThat(demo[0]).isEqualTo("0");
    assertThat(demo[1]).contains("--data-dir", "--rate", "--duration", "--port", "--mapping", "pinyin", "Examples:");
    String[] runHelp = run("run", "--help");
    assertThat(runHelp[1]).contains("--config", "--components", "ingest", "projector", "Examples:");
  }

  @Test
  void demoRefusesAnUnknownMappingAndADataDirectoryOfTheOtherOne(@TempDir Path dir) throws Exception {
    String[] unknown = run("demo", "--mapping", "pinyn", "--data-dir", dir.toString());
    assertThat(unknown[0]).isEqualTo("2");
    assertThat(unknown[2]).contains("--mapping", "'pinyn'", "reference or pinyin");
    Files.writeString(dir.resolve("demo-mapping"), "pinyin"); // what a demo of --mapping pinyin leaves in its data directory
    String[] other = run("demo", "--data-dir", dir.toString());
    assertThat(other[0]).isEqualTo("2");
    assertThat(other[2]).contains("holds a demo of --mapping pinyin", "another --data-dir");
  }

  @Test
  void shouldRefuseAnUnknownSubcommandEvenWithHelp() {
    String[] r = run("nosuch", "--help");

    assertThat(r[0]).as("a missing command is not a present one").isEqualTo("2");
    assertThat(r[2]).contains("Unmatched argument", "nosuch");
    assertThat(run("dlt", "nosuch", "--help")[0]).isEqualTo("2");
    assertThat(run("--help")[0]).isEqualTo("0");
    assertThat(run("audit", "verify", "--help")[0]).isEqualTo("0");
  }

  @Test
  void shouldNameTheMissingKeyWhenTheConfigFileIsIncomplete(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("bad.properties");
    Files.writeString(cfg, "bootstrap.servers=localhost:1\n");

    String[] r = run("run", "--config", cfg.toString(), "--components", "projector");

    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).contains("jdbc.url");
  }

  @Test
  void shouldRejectAnUnknownComponent(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.properties");
    Files.writeString(cfg, "bootstrap.servers=localhost:1\n");

    String[] r = run("run", "--config", cfg.toString(), "--components", "ingest,frontend");

    assertThat(r[0]).isNotEqualTo("0");
    assertThat(r[2]).contains("frontend");
  }

  @Test
  void shouldGiveEachComponentTheSharedKeysAndItsOwnWithoutPrefix() {
    Pipeline p = new Pipeline(java.util.Map.of("bootstrap.servers", "k:9092", "ingest.slot.name", "s", "api.port", "1"),
        java.util.EnumSet.noneOf(Pipeline.Component.class));

    assertThat(p.componentConfig("ingest")).containsEntry("bootstrap.servers", "k:9092").containsEntry("slot.name", "s")
        .doesNotContainKey("port");
  }
}
