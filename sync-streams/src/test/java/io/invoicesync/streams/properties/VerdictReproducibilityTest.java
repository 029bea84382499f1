package io.invoicesync.streams.properties;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Violation;
import io.invoicesync.streams.SyncDriver;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A verdict depends on the change, never on when it is processed: the same changes processed now
 * and years later (a replay, a reprocessing after a restore, a resync) give the same outcomes. Date
 * rules judge by the change's source commit day; the issue-date age rule applies only to the change
 * that created the invoice.
 */
class VerdictReproducibilityTest {

  private static final Instant COMMITTED = Instant.parse("2026-11-24T08:00:00Z");
  private static final LocalDate COMMIT_DAY = LocalDate.of(2026, 11, 24);
  private final InvoicePropertiesTest generators = new InvoicePropertiesTest();

  /**
   * One invoice with an issue date from a week after its commit day to six years before it, voided
   * or not, the void committed up to three years after the creation.
   */
  record Story(Invoice invoice, int daysBeforeCommit, boolean voidedLater, int voidAfterDays) {
  }

  @Provide
  Arbitrary<Story> stories() {
    return net.jqwik.api.Combinators.combine(generators.validInvoices(), Arbitraries.integers().between(-7, 6 * 365),
        Arbitraries.of(true, false), Arbitraries.integers().between(0, 3 * 365)).as(Story::new);
  }

  /** Stories whose creation passes the age rule (issued at most four years before), voided later. */
  @Provide
  Arbitrary<Story> voidedYoungEnough() {
    return net.jqwik.api.Combinators.combine(generators.validInvoices(), Arbitraries.integers().between(0, 4 * 365),
        Arbitraries.integers().between(0, 3 * 365)).as((inv, before, after) -> new Story(inv, before, true, after));
  }

  @Property(tries = 60)
  void theSameChangesGiveTheSameVerdictsWhenProcessedYearsLater(@ForAll("stories") Story story) {
    List<String> now = outcomes(story, COMMITTED.plusSeconds(5));
    List<String> later = outcomes(story, Instant.parse("2033-06-01T00:00:00Z"));
    assertThat(later).isEqualTo(now);
  }

  @Property(tries = 40)
  void onlyTheCreationIsJudgedByTheIssueDateAgeRule(@ForAll("voidedYoungEnough") Story story) {
    List<String> outcomes = outcomes(story, COMMITTED.plusSeconds(5));
    // the void, committed when the invoice may be past five years old, is judged on its own commit day, and the age rule
    // belongs to issuing: neither change is rejected for the invoice's age
    assertThat(outcomes.get(0)).doesNotContain("ISSUE_DATE_TOO_OLD");
    assertThat(outcomes.get(1)).doesNotContain("ISSUE_DATE_TOO_OLD");
  }

  /** Synced versions and rejection codes, in order, of the story's changes processed with the wall clock at {@code wallClock}. */
  private static List<String> outcomes(Story story, Instant wallClock) {
    LocalDate issued = COMMIT_DAY.minusDays(story.daysBeforeCommit());
    Invoice created = Invoice.newBuilder(story.invoice()).setId("inv-1").setIssueDate(issued).build();
    if (created.getInvoiceNumber() != null && created.getInvoiceNumber().length() == 20) { // a 数电票 number starts with its issue year
      created.setInvoiceNumber(String.format("%02d", issued.getYear() % 100) + created.getInvoiceNumber().substring(2));
    }
    List<InvoiceChange> changes = new ArrayList<>();
    changes.add(change(created, "CREATE", 10, COMMITTED));
    if (story.voidedLater()) {
      Instant voided = COMMITTED.plus(java.time.Duration.ofDays(story.voidAfterDays())).plusSeconds(3600);
      changes.add(change(Invoice.newBuilder(created).setStatus("VOIDED").build(), "UPDATE", 20, voided));
    }
    List<String> out = new ArrayList<>();
    try (SyncDriver sync = new SyncDriver(Map.of(), wallClock)) {
      for (InvoiceChange c : changes) {
        sync.captured.pipeInput("inv-1", c);
        StringBuilder o = new StringBuilder();
        for (InvoiceState s : sync.synced.readValuesToList()) {
          o.append("synced v").append(s.getVersion()).append(' ').append(s.getInvoice().getStatus()).append(';');
        }
        for (InvoiceRejected r : sync.rejected.readValuesToList()) {
          o.append("rejected ").append(r.getViolations().stream().map(Violation::getCode).sorted().toList()).append(';');
        }
        out.add(o.toString());
      }
    }
    return out;
  }

  private static InvoiceChange change(Invoice after, String op, long lsn, Instant committed) {
    return InvoiceChange.newBuilder().setInvoiceId("inv-1").setOp(op).setAfter(after).setLinesIncluded(true)
        .setSource(SourcePosition.newBuilder().setLsn(lsn).setTxId(lsn).setCommitTs(committed).build()).setCapturedAt(committed).build();
  }
}
