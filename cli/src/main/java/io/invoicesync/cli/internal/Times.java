package io.invoicesync.cli.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A time as operators write it on the command line: an ISO instant, or an age before now (30s, 30m, 2h, 7d). */
public final class Times {

  private Times() {
  }

  /** {@code value} of {@code option} as an instant. @throws IllegalArgumentException naming the option and the value */
  public static Instant instantOrAge(String option, String value) {
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      Matcher m = Pattern.compile("(\\d+)([smhd])").matcher(value.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException(option + " '" + value + "' is neither an ISO instant (2026-11-25T08:00:00Z) nor an age like 30m, 2h, 7d");
      }
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return Instant.now().minus(d);
    }
  }
}
