package io.invoicesync.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Whatever reaches a log line, from us or a library, leaves with personal data masked: text and JSON, message and stack trace. */
class PiiMaskingEncodersTest {

  @Test
  void textAndJsonLinesMaskResidentIdsPhonesAndCardsInMessagesAndExceptions() {
    LoggerContext ctx = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    LoggingEvent event = new LoggingEvent("x", ctx.getLogger("io.invoicesync.test"), Level.WARN,
        "write failed for buyer {} ({})", new IllegalStateException("Failing row contains (11010519491231002X, 6222021234567890123)"),
        new Object[] {"11010519491231002X", "tel 13812345678"});
    PiiMaskingEncoders.Pattern text = new PiiMaskingEncoders.Pattern();
    text.setPattern("%msg%n");
    PiiMaskingEncoders.Json json = new PiiMaskingEncoders.Json();
    for (EncoderBase<ch.qos.logback.classic.spi.ILoggingEvent> encoder : java.util.List.of(text, json)) {
      encoder.setContext(ctx);
      encoder.start();
      String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
      assertThat(line).as(encoder.getClass().getSimpleName()).contains("write failed for buyer", "Failing row contains", "110105********002X")
          .doesNotContain("11010519491231002X", "13812345678", "6222021234567890123");
    }
  }
}
