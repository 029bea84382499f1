package io.invoicesync.api.internal;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Base64;

/**
 * The opaque {@code nextCursor}s of keyset-paginated lists: the key of the last item of a page,
 * base64url. A cursor the API did not hand out is a 400 naming the {@code cursor} parameter.
 */
public final class Cursors {

  /** A position in a list ordered by issue date, then id, both descending (invoice searches). */
  public record DateKey(LocalDate issueDate, String id) {
  }

  /** A position in a list ordered by a time, then invoice id, both descending (rejections, invoices by outcome). */
  public record TimeKey(OffsetDateTime at, String id) {
  }

  private Cursors() {
  }

  public static String encode(DateKey k) {
    return base64(k.issueDate() + "|" + k.id());
  }

  public static String encode(TimeKey k) {
    return base64("t|" + k.at() + "|" + k.id());
  }

  /** The position {@code v} names, or null for none (the first page). */
  public static DateKey decodeDate(String v) {
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8);
      int bar = s.indexOf('|');
      return new DateKey(LocalDate.parse(s.substring(0, bar)), s.substring(bar + 1));
    } catch (RuntimeException e) {
      throw ProblemException.badParameter("cursor", v, "is not a cursor returned by this API (pass nextCursor as it is)");
    }
  }

  /** The position {@code v} names, or null for none (the first page). */
  public static TimeKey decodeTime(String v) {
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8);
      String[] parts = s.split("\\|", 3);
      if (!parts[0].equals("t")) {
        throw new IllegalArgumentException("not a time cursor");
      }
      return new TimeKey(OffsetDateTime.parse(parts[1]), parts[2]);
    } catch (RuntimeException e) {
      throw ProblemException.badParameter("cursor", v, "is not a cursor returned by this endpoint (pass nextCursor as it is)");
    }
  }

  private static String base64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
