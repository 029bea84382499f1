package io.invoicesync.schemas;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.regex.Pattern;

/** Taxpayer identifier checks of DOMAIN.md: USCC (GB 32100-2015) and resident id (GB 11643). */
public final class TaxIds {

  private static final String ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  private static final int[] USCC_WEIGHTS = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  private static final Pattern USCC = Pattern.compile("^[0-9A-HJ-NPQRTUWXY]{2}\\d{6}[0-9A-HJ-NPQRTUWXY]{10}$");
  private static final int[] ID_WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  private static final String ID_CHECK = "10X98765432";
  private static final Pattern RESIDENT_ID = Pattern.compile("^\\d{17}[\\dX]$");
  private static final Pattern FIFTEEN = Pattern.compile("^\\d{6}[0-9A-Z]{9}$");
  private static final Pattern TWENTY = Pattern.compile("^(\\d{15}[0-9A-Z]{5}|\\d{17}[\\dX][0-9A-Z]{2})$");

  private TaxIds() {
  }

  /** The USCC check character for the first 17 characters (which must be of the USCC alphabet). */
  public static char usccCheckChar(String first17) {
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      sum += ALPHA.indexOf(first17.charAt(i)) * USCC_WEIGHTS[i];
    }
    // a remainder of 0 maps to '0' (31 mod 31), not to 'Y'
    return ALPHA.charAt((31 - sum % 31) % 31);
  }

  public static boolean isUsccFormat(String id) {
    return id != null && USCC.matcher(id).matches();
  }

  public static boolean isValidUscc(String id) {
    return isUsccFormat(id) && usccCheckChar(id.substring(0, 17)) == id.charAt(17);
  }

  /** Province-level codes that open a resident id (GB/T 2260): 11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81-83. */
  private static final Set<String> PROVINCES = Set.of("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33",
      "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83");

  /**
   * GB 11643: province code, a real birth date (digits 7-14, yyyyMMdd, from 1900), and the mod-11
   * check. The structure matters: the check character alone accepts about one mistyped all-digit
   * USCC in eleven (found by the property tests).
   */
  public static boolean isValidResidentId(String id) {
    if (id == null || !RESIDENT_ID.matcher(id).matches() || !PROVINCES.contains(id.substring(0, 2))) {
      return false;
    }
    try {
      LocalDate birth = LocalDate.parse(id.substring(6, 14), DateTimeFormatter.BASIC_ISO_DATE);
      if (birth.getYear() < 1900) {
        return false;
      }
    } catch (DateTimeParseException e) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      sum += (id.charAt(i) - '0') * ID_WEIGHTS[i];
    }
    return ID_CHECK.charAt(sum % 11) == id.charAt(17);
  }

  /** Outcome of checking a taxpayer id: null when valid, else the suffix of the rule code. */
  public static String problem(String id) {
    if (id == null || id.isEmpty()) {
      return null;
    }
    switch (id.length()) {
      case 18:
        if (isValidUscc(id) || isValidResidentId(id)) {
          return null;
        }
        return isUsccFormat(id) || RESIDENT_ID.matcher(id).matches() ? "CHECKSUM" : "FORMAT";
      case 15:
        return FIFTEEN.matcher(id).matches() ? null : "FORMAT";
      case 20:
        return TWENTY.matcher(id).matches() ? null : "FORMAT";
      default:
        return "FORMAT";
    }
  }
}
