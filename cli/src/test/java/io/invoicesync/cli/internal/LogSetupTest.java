package io.invoicesync.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The demo's log follows its data directory although logging started before the command ran. */
class LogSetupTest {

  @TempDir
  Path dir;

  @Test
  void movesTheFileAppenderToAFileNamedLater() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> file = new FileAppender<>();
    file.setContext(ctx);
    file.setName("FILE"); // as logback.xml names it
    file.setFile(dir.resolve("cwd/invoice-sync.log").toString());
    file.setEncoder(encoder);
    file.start();
    root.addAppender(file);
    try {
      org.slf4j.Logger log = LoggerFactory.getLogger(LogSetupTest.class);
      log.warn("before the data directory was known");
      LogSetup.moveFile(dir.resolve("data/invoice-sync.log"));
      log.warn("after it was");
      assertThat(Files.readString(dir.resolve("cwd/invoice-sync.log"))).contains("before").doesNotContain("after it was");
      assertThat(Files.readString(dir.resolve("data/invoice-sync.log"))).contains("after it was").doesNotContain("before");
    } finally {
      root.detachAppender(file);
      file.stop();
    }
  }
}
