package io.invoicesync.streams.rules;

import io.invoicesync.streams.SyncStreamsConfig;
import java.math.BigDecimal;
import java.time.Period;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The configurable parts of the rule set, with DOMAIN.md's defaults.
 *
 * @param lineAmountTolerance   |quantity x unit price - amount| allowed per line (default 0.01)
 * @param lineTaxTolerance      |amount x rate - tax| allowed per line (default 0.06)
 * @param invoiceTaxTolerance   |sum(line tax - amount x rate)| allowed per invoice (default 1.27)
 * @param taxRates              valid rates (default 13%, 9%, 6%, 5%, 3%, 1%, 0%); tax-exempt is a line flag
 * @param maxIssueAge           how old an issue date may be (default 5 years)
 */
public record ValidationRules(BigDecimal lineAmountTolerance, BigDecimal lineTaxTolerance, BigDecimal invoiceTaxTolerance,
                              Set<BigDecimal> taxRates, Period maxIssueAge) {

  public static final String DEFAULT_TAX_RATES = "0.13,0.09,0.06,0.05,0.03,0.01,0";

  public ValidationRules {
    Objects.requireNonNull(lineAmountTolerance, "lineAmountTolerance");
    Objects.requireNonNull(lineTaxTolerance, "lineTaxTolerance");
    Objects.requireNonNull(invoiceTaxTolerance, "invoiceTaxTolerance");
    Objects.requireNonNull(maxIssueAge, "maxIssueAge");
    if (taxRates == null || taxRates.isEmpty()) {
      throw new IllegalArgumentException("taxRates must name at least one rate");
    }
    taxRates = taxRates.stream().map(BigDecimal::stripTrailingZeros).collect(Collectors.toUnmodifiableSet());
  }

  /** The rules with sync-streams' configuration defaults (SyncStreamsConfig's definition is the one copy of them). */
  public static ValidationRules defaults() {
    Map<String, Object> d = SyncStreamsConfig.configDef().defaultValues();
    return new ValidationRules(new BigDecimal((String) d.get(SyncStreamsConfig.LINE_AMOUNT_TOLERANCE)),
        new BigDecimal((String) d.get(SyncStreamsConfig.LINE_TAX_TOLERANCE)),
        new BigDecimal((String) d.get(SyncStreamsConfig.INVOICE_TAX_TOLERANCE)),
        parseRates((String) d.get(SyncStreamsConfig.TAX_RATES)),
        Period.ofYears((Integer) d.get(SyncStreamsConfig.MAX_ISSUE_AGE_YEARS)));
  }

  /** Parses "0.13,0.09,..." naming the bad entry when one is not a decimal in [0, 1). */
  public static Set<BigDecimal> parseRates(String csv) {
    return List.of(csv.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty()).map(s -> {
      try {
        BigDecimal r = new BigDecimal(s);
        if (r.signum() < 0 || r.compareTo(BigDecimal.ONE) >= 0) {
          throw new IllegalArgumentException("tax rate '" + s + "' is outside [0, 1)");
        }
        return r.stripTrailingZeros();
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("tax rate '" + s + "' is not a decimal number", e);
      }
    }).collect(Collectors.toUnmodifiableSet());
  }

  public boolean isValidRate(BigDecimal rate) {
    return rate != null && taxRates.contains(rate.stripTrailingZeros());
  }
}
