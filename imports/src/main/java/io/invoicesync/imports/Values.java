package io.invoicesync.imports;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.Normalizer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values the tax platform's files write, read strictly: amounts with thousands separators and a
 * currency sign, rates as {@code 13%} or {@code 0.13} or 免税, dates and date-times in the forms the
 * platform and spreadsheets write. A value that cannot be read is an {@link IllegalArgumentException}
 * naming the value and what was expected; the reader turns it into the row's problem.
 */
public final class Values {

  private static final Pattern AMOUNT = Pattern.compile("[-+]?\\d+(\\.\\d+)?");
  private static final List<DateTimeFormatter> DATE_TIMES = List.of(pattern("uuuu-M-d H:m:s"), pattern("uuuu/M/d H:m:s"),
      pattern("uuuu-M-d'T'H:m:s"), pattern("uuuu-M-d H:m"), pattern("uuuu/M/d H:m"), pattern("uuuuMMddHHmmss"),
      pattern("uuuu年M月d日 H:m:s"), pattern("uuuu年M月d日H:m:s"));
  private static final List<DateTimeFormatter> DATES = List.of(pattern("uuuu-M-d"), pattern("uuuu/M/d"), pattern("uuuuMMdd"),
      pattern("uuuu年M月d日"), pattern("uuuu.M.d"));
  private static final Pattern EXCEL_SERIAL = Pattern.compile("\\d{5}(\\.\\d+)?");

  private Values() {
  }

  private static DateTimeFormatter pattern(String p) {
    return DateTimeFormatter.ofPattern(p, Locale.ROOT).withResolverStyle(ResolverStyle.STRICT);
  }

  /** Full-width to half-width (NFKC), trimmed, with inner whitespace runs kept as one space; null or blank is null. */
  public static String text(String raw) {
    if (raw == null) {
      return null;
    }
    String s = Normalizer.normalize(raw, Normalizer.Form.NFKC).replace('\u00a0', ' ').strip().replaceAll("\\s+", " ");
    return s.isEmpty() ? null : s;
  }

  /** An amount at {@code scale} decimals: {@code 1,130.00}, {@code ¥1130}, {@code -13.5}; null when blank. */
  public static BigDecimal amount(String raw, int scale) {
    String s = text(raw);
    if (s == null) {
      return null;
    }
    String digits = s.replace(",", "").replace("¥", "").replace("￥", "").replace("元", "").replace(" ", "");
    boolean negative = digits.startsWith("(") && digits.endsWith(")");
    if (negative) {
      digits = "-" + digits.substring(1, digits.length() - 1);
    }
    if (!AMOUNT.matcher(digits).matches()) {
      throw new IllegalArgumentException("'" + raw + "' is not an amount (digits, an optional sign, thousands separators and decimals)");
    }
    BigDecimal v = new BigDecimal(digits);
    if (v.stripTrailingZeros().scale() > scale) {
      throw new IllegalArgumentException("'" + raw + "' has more than " + scale + " decimals");
    }
    return v.setScale(scale, RoundingMode.UNNECESSARY);
  }

  /** A quantity or unit price (8 decimals); more decimals are rounded half-up, as the platform prints them rounded. */
  static BigDecimal quantity(String raw) {
    String s = text(raw);
    if (s == null) {
      return null;
    }
    String digits = s.replace(",", "").replace("¥", "").replace("￥", "").replace(" ", "");
    if (!AMOUNT.matcher(digits).matches()) {
      throw new IllegalArgumentException("'" + raw + "' is not a number");
    }
    return new BigDecimal(digits).setScale(8, RoundingMode.HALF_UP);
  }

  /** A rate: {@code 13%} or {@code 0.13} as 0.1300; null for 免税, 不征税 and blank (see {@link #exempt}). */
  static BigDecimal rate(String raw) {
    String s = text(raw);
    if (s == null || exempt(s)) {
      return null;
    }
    String digits = s.replace(" ", "");
    boolean percent = digits.endsWith("%");
    if (percent) {
      digits = digits.substring(0, digits.length() - 1);
    }
    if (!AMOUNT.matcher(digits).matches()) {
      throw new IllegalArgumentException("'" + raw + "' is not a tax rate (13%, 0.13, 免税 or 不征税)");
    }
    BigDecimal v = new BigDecimal(digits);
    if (percent || v.compareTo(BigDecimal.ONE) > 0) {
      v = v.movePointLeft(2);
    }
    if (v.stripTrailingZeros().scale() > 4) {
      throw new IllegalArgumentException("'" + raw + "' has a finer rate than 0.01%");
    }
    return v.setScale(4, RoundingMode.UNNECESSARY);
  }

  /** 免税 (exempt) or 不征税 (not taxed): no rate. */
  static boolean exempt(String raw) {
    String s = text(raw);
    return s != null && (s.contains("免税") || s.contains("不征税") || s.contains("免征"));
  }

  /** The date of a date or date-time value, or of a spreadsheet's day number; null when blank. */
  static LocalDate date(String raw) {
    String s = text(raw);
    if (s == null) {
      return null;
    }
    LocalDateTime t = dateTimeOrNull(s);
    if (t != null) {
      return t.toLocalDate();
    }
    for (DateTimeFormatter f : DATES) {
      try {
        return LocalDate.parse(s, f);
      } catch (DateTimeParseException e) {
        // the next form
      }
    }
    if (EXCEL_SERIAL.matcher(s).matches()) {
      return LocalDate.of(1899, 12, 30).plusDays((long) Double.parseDouble(s)); // a date cell read without its format
    }
    throw new IllegalArgumentException("'" + raw + "' is not a date (2026-11-03, 2026/11/3, 20261103, 2026年11月3日, with or without a time)");
  }

  /** The date-time of a value that has a time, or null (a date alone has none). */
  static LocalDateTime dateTime(String raw) {
    String s = text(raw);
    return s == null ? null : dateTimeOrNull(s);
  }

  private static LocalDateTime dateTimeOrNull(String s) {
    for (DateTimeFormatter f : DATE_TIMES) {
      try {
        return LocalDateTime.parse(s, f);
      } catch (DateTimeParseException e) {
        // the next form
      }
    }
    return null;
  }

  /** The first group of {@code p} in {@code text}, or null. */
  static String find(Pattern p, String text) {
    if (text == null) {
      return null;
    }
    Matcher m = p.matcher(text);
    return m.find() ? m.group(1) : null;
  }
}
