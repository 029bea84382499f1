package io.invoicesync.generator;

import java.time.LocalDate;
import java.time.ZoneId;

/**
 * Today as the issuing platform and sync-streams' date rules see it (Asia/Shanghai), for tests that
 * issue invoices by hand: their issue date and the year digits of their number must be today's, or
 * the age rule rejects them once the calendar moves on.
 */
public final class IssuingDay {

  public static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");

  private IssuingDay() {
  }

  public static LocalDate today() {
    return LocalDate.now(ZONE);
  }

  /** A 20-digit 数电票 number issued today: the year's last two digits, region 442, then {@code serial}. */
  public static String digitalNumber(long serial) {
    return String.format("%02d442%015d", today().getYear() % 100, serial);
  }
}
