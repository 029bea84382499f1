package io.invoicesync.schemas;

import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks personal data in text that leaves the record body (log lines, dead-letter headers, error
 * messages): resident id numbers (18 characters passing the GB 11643 check), mainland mobile
 * numbers, and bank card numbers (16 to 19 digits). What stays shows enough to tell two apart
 * ({@code 110105********002X}, {@code 138****5678}, {@code 6222***********1234}). Taxpayer ids of
 * companies (USCC), invoice numbers (20 digits) and codes (10 or 12), offsets and LSNs are left alone.
 * PIPL: the record body keeps the value, which the parties to the invoice are entitled to.
 */
public final class Pii {

  private static final Pattern RESIDENT_ID = Pattern.compile("(?<![0-9A-Za-z])\\d{17}[\\dXx](?![0-9A-Za-z])");
  private static final Pattern MOBILE = Pattern.compile("(?<!\\d)(?:\\+?86[- ]?)?1[3-9]\\d{9}(?!\\d)");
  private static final Pattern BANK_CARD = Pattern.compile("(?<![\\d.])\\d{16,19}(?![\\d.])");
  /** Written in groups: 6222 0212 3456 7890 123, 6222-0212-3456-7890. */
  private static final Pattern GROUPED_CARD = Pattern.compile("(?<![\\d.])\\d{4}(?:[ -]\\d{4}){3}(?:[ -]\\d{1,3})?(?![\\d.])");

  private Pii() {
  }

  /** {@code text} with resident ids, mobile numbers and bank card numbers masked; null stays null. */
  public static String mask(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = replace(RESIDENT_ID, text, id -> TaxIds.isValidResidentId(id.toUpperCase()) ? keep(id, 6, 4) : id);
    out = replace(MOBILE, out, m -> keep(m, m.length() - 8, 4));
    out = replace(GROUPED_CARD, out, n -> keep(n, 4, 4));
    return replace(BANK_CARD, out, n -> companyId(n) ? n : keep(n, 4, 4));
  }

  /**
   * An all-digit USCC: passes the check character, and its first two characters are a registration
   * authority (1 机构编制, 5 民政, 9 市场监管) and an organisation category (1-3, 9) as GB 32100 assigns
   * them. A card number passing all of that by chance is rare (card numbers start 3-6).
   */
  private static boolean companyId(String digits) {
    return digits.length() == 18 && "159".indexOf(digits.charAt(0)) >= 0 && "1239".indexOf(digits.charAt(1)) >= 0 && TaxIds.isValidUscc(digits);
  }

  private static String replace(Pattern p, String text, UnaryOperator<String> f) {
    Matcher m = p.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(f.apply(m.group())));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static String keep(String s, int head, int tail) {
    return s.substring(0, head) + "*".repeat(s.length() - head - tail) + s.substring(s.length() - tail);
  }
}
