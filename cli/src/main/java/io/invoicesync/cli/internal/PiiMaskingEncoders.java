package io.invoicesync.cli.internal;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.invoicesync.schemas.Pii;
import java.nio.charset.StandardCharsets;

/**
 * Logback encoders that mask personal data ({@link Pii}: resident ids, mobile and bank card
 * numbers) in whatever a log line carries: message, MDC, exception and stack trace, from any
 * library. Every log invoice-sync writes goes through one of them (logback.xml, {@link LogSetup}).
 */
public final class PiiMaskingEncoders {

  private PiiMaskingEncoders() {
  }

  static byte[] mask(byte[] line) {
    return line == null ? null : Pii.mask(new String(line, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
  }

  /** {@code <encoder class="io.invoicesync.cli.internal.PiiMaskingEncoders$Pattern"><pattern>...</pattern></encoder>}. */
  public static final class Pattern extends PatternLayoutEncoder {
    @Override
    public byte[] encode(ILoggingEvent event) {
      return mask(super.encode(event));
    }
  }

  /** Logback's {@link JsonEncoder}, masked. */
  public static final class Json extends JsonEncoder {
    @Override
    public byte[] encode(ILoggingEvent event) {
      return mask(super.encode(event));
    }
  }
}
