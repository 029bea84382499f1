package io.invoicesync.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PiiTest {

  @Test
  void masksResidentIdsMobilesAndBankCardsAndLeavesInvoiceIdentifiersAlone() {
    String row = "Failing row contains (inv-1, 11010519491231002X, 13812345678, 6222021234567890123, 91440300MA5EXAMPLE, "
        + "26442000000000000777, 144031900111, lsn 24157816, +86 13912345678)";
    String masked = Pii.mask(row);
    assertThat(masked).doesNotContain("11010519491231002X", "13812345678", "6222021234567890123", "13912345678")
        .contains("110105********002X", "138****5678", "6222***********0123")
        .contains("91440300MA5EXAMPLE", "26442000000000000777", "144031900111", "24157816", "inv-1");
  }

  @Test
  void aCompanysAllDigitTaxIdIsNotTakenForPersonalData() {
    String uscc = null;
    for (int i = 0; uscc == null; i++) {
      String first17 = "9144030000" + String.format("%07d", i);
      char check = TaxIds.usccCheckChar(first17);
      uscc = Character.isDigit(check) ? first17 + check : null;
    }
    assertThat(TaxIds.isValidUscc(uscc)).isTrue();
    assertThat(Pii.mask("seller " + uscc + " x")).contains(uscc);
    assertThat(Pii.mask("id 110105194912310021 x")).as("18 digits, neither a resident id nor a USCC: masked as a card number could be")
        .doesNotContain("110105194912310021");
    assertThat(Pii.mask("card 6222 0212 3456 7890 123 and 6222-0212-3456-7890")).doesNotContain("3456 7890", "3456-7890")
        .contains("6222*");
    assertThat(Pii.mask(null)).isNull();
  }
}
