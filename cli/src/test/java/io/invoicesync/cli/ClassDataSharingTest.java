package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/invoice-sync's class-data sharing, run as users run it (sh, a real JVM), on a copy of the
 * script beside a jar whose main class only prints: the first demo archives the classes at its exit,
 * the next start maps them, a rebuilt jar drops the archive, INVOICESYNC_CDS=off starts without it.
 */
class ClassDataSharingTest {

  @TempDir
  Path home;
  Path archive;
  Path jar;

  @BeforeEach
  void installScriptBesideAStandInJar() throws Exception {
    Files.createDirectories(home.resolve("bin"));
    Path script = Files.copy(Path.of("..", "bin", "invoice-sync").toAbsolutePath().normalize(), home.resolve("bin/invoice-sync"));
    script.toFile().setExecutable(true);
    Path src = Files.createDirectories(home.resolve("src/io/invoicesync/cli")).resolve("InvoiceSyncCommand.java");
    Files.writeString(src, "package io.invoicesync.cli; public class InvoiceSyncCommand { public static void main(String[] a) {"
        + " System.out.println(\"ran \" + String.join(\" \", a));"
        + " System.out.println(\"jvm \" + java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()); } }");
    Path classes = Files.createDirectories(home.resolve("classes"));
    assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), src.toString())).isZero();
    Path target = Files.createDirectories(home.resolve("cli/target/lib"));
    jar = target.getParent().resolve("invoice-sync.jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry("io/invoicesync/cli/InvoiceSyncCommand.class"));
      j.write(Files.readAllBytes(classes.resolve("io/invoicesync/cli/InvoiceSyncCommand.class")));
      j.closeEntry();
    }
    archive = target.getParent().resolve("invoice-sync.jsa");
  }

  @Test
  void theFirstDemoArchivesTheNextStartMapsItAndARebuildDropsIt() throws Exception {
    assertThat(run(List.of(), "demo", "--rate", "0")).contains("ran demo --rate 0");
    // written by the first demo's JVM at its exit, under its pid, and taken up by the next start
    assertThat(tmpArchives()).hasSize(1);
    assertThat(archive).doesNotExist();

    String mapped = run(List.of("JAVA_OPTS=-Xlog:class+load=info"), "trace", "--help");
    assertThat(archive).exists();
    assertThat(tmpArchives()).isEmpty();
    assertThat(mapped).contains("ran trace --help").containsPattern("io\\.invoicesync\\.cli\\.InvoiceSyncCommand source: shared objects file");

    // INVOICESYNC_CDS=off: loaded from the jar
    assertThat(run(List.of("INVOICESYNC_CDS=off", "JAVA_OPTS=-Xlog:class+load=info"), "trace"))
        .containsPattern("io\\.invoicesync\\.cli\\.InvoiceSyncCommand source: file:");

    // a rebuilt jar: the old archive goes (the JVM would ignore it) and a later demo archives again
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(run(List.of(), "status")).contains("ran status");
    assertThat(archive).doesNotExist();
    run(List.of(), "run");
    assertThat(tmpArchives()).hasSize(1);
  }

  @Test
  void theDemoRunsTheC1CompilerAloneRunKeepsBothAndJavaOptsDecides() throws Exception {
    assertThat(run(List.of(), "demo", "--rate", "0")).contains("ran demo --rate 0").containsPattern("jvm \\[.*-XX:TieredStopAtLevel=1");
    // the archive the C1-only demo wrote is mapped by a start with both compilers
    String run = run(List.of("JAVA_OPTS=-Xms256m -Xmx1g -Xlog:class+load=info"), "run");
    assertThat(run).contains("ran run").doesNotContain("TieredStopAtLevel")
        .containsPattern("io\\.invoicesync\\.cli\\.InvoiceSyncCommand source: shared objects file");
    assertThat(run(List.of(), "run")).containsPattern("jvm \\[-Xms256m, -Xmx1g").doesNotContain("TieredStopAtLevel");
    assertThat(run(List.of("JAVA_OPTS=-Xmx512m"), "demo", "--rate", "0")).containsPattern("jvm \\[-Xmx512m").doesNotContain("TieredStopAtLevel");
  }

  @Test
  void aShortCommandDoesNotArchiveItsFewClasses() throws Exception {
    assertThat(run(List.of(), "--version")).contains("ran --version");
    assertThat(tmpArchives()).isEmpty();
    assertThat(archive).doesNotExist();
  }

  private List<Path> tmpArchives() throws Exception {
    try (Stream<Path> files = Files.list(archive.getParent())) {
      return files.filter(f -> f.getFileName().toString().matches("invoice-sync\\.jsa\\.\\d+\\.tmp")).toList();
    }
  }

  private String run(List<String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("env"));
    command.addAll(env);
    command.add(home.resolve("bin/invoice-sync").toString());
    command.addAll(List.of(args));
    Path out = Files.createTempFile(home, "out", ".txt");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("bin/invoice-sync %s ended", String.join(" ", args)).isTrue();
    String output = Files.readString(out);
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }
}
