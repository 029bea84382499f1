package io.invoicesync.cli.internal;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.LoggerFactory;

/**
 * Where {@code run} logs, as a container platform expects: to stdout unless {@code log.file} names
 * a file, as text or, with {@code log.format=json}, as one JSON object per line (logback's own
 * {@link JsonEncoder}, MDC included: {@code component}, and where a record is being handled
 * {@code invoice}, {@code topic}, {@code partition}, {@code offset}). The levels are those of
 * logback.xml; only the root's appenders are replaced. The other commands keep logback.xml: a file,
 * and errors on stderr. Either way personal data is masked ({@link PiiMaskingEncoders}).
 */
public final class LogSetup {

  /** Shared configuration keys. */
  public static final String FORMAT = "log.format";
  public static final String FILE = "log.file";

  private LogSetup() {
  }

  /**
   * Moves logback.xml's log file (its {@code FILE} appender, which the loggers kept off the console share) to {@code file}:
   * for a command that learns where its log belongs after logging started (the demo's data directory; picocli creates
   * every subcommand, and so initialises logging, before any runs). Nothing when there is no such appender.
   */
  public static void moveFile(Path file) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    if (ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("FILE") instanceof FileAppender<ILoggingEvent> fa) {
      fa.stop();
      fa.setFile(file.toString());
      fa.start();
    }
  }

  /** Replaces the root logger's appenders: {@code format} text or json, to {@code file} or (blank) stdout. */
  public static void apply(String format, String file) {
    String f = format == null || format.isBlank() ? "text" : format.trim().toLowerCase(Locale.ROOT);
    if (!f.equals("text") && !f.equals("json")) {
      throw new ConfigException(FORMAT, format, "must be text or json");
    }
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return; // another SLF4J binding: it has its own configuration
    }
    Encoder<ILoggingEvent> encoder;
    if (f.equals("json")) {
      JsonEncoder json = new PiiMaskingEncoders.Json();
      json.setContext(ctx);
      json.start();
      encoder = json;
    } else {
      PatternLayoutEncoder text = new PiiMaskingEncoders.Pattern();
      text.setContext(ctx);
      text.setPattern("%d{ISO8601} %-5level [%thread] %X{component:-} %logger{36} - %msg%n");
      text.start();
      encoder = text;
    }
    OutputStreamAppender<ILoggingEvent> appender;
    if (file == null || file.isBlank()) {
      ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
      console.setTarget("System.out");
      appender = console;
    } else {
      FileAppender<ILoggingEvent> fa = new FileAppender<>();
      fa.setFile(file);
      appender = fa;
    }
    appender.setContext(ctx);
    appender.setName("run");
    appender.setEncoder(encoder);
    appender.start();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
    // loggers logback.xml sends to the file only (additivity off) follow the root to the new appender
    for (Logger l : ctx.getLoggerList()) {
      if (!l.isAdditive() && l.iteratorForAppenders().hasNext()) {
        l.detachAndStopAllAppenders();
        l.addAppender(appender);
      }
    }
  }
}
