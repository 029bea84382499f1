package io.invoicesync.streams.rules;

import java.util.Set;

/** The invoice types of DOMAIN.md and what each implies. */
public final class InvoiceTypes {

  public static final Set<String> ALL = Set.of("SPECIAL_PAPER", "GENERAL_PAPER", "SPECIAL_ELECTRONIC", "GENERAL_ELECTRONIC",
      "DIGITAL_SPECIAL", "DIGITAL_GENERAL");

  private InvoiceTypes() {
  }

  /** 数电票: a 20-digit number and no invoice code. */
  public static boolean isDigital(String type) {
    return type != null && type.startsWith("DIGITAL_");
  }

  public static boolean isSpecial(String type) {
    return type != null && type.contains("SPECIAL");
  }

  public static boolean isPaper(String type) {
    return type != null && type.endsWith("_PAPER");
  }

  public static boolean isElectronic(String type) {
    return type != null && !isPaper(type);
  }
}
