package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.ChangeOps;
import io.invoicesync.schemas.FilePosition;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Violation;
import io.invoicesync.testkit.InvoiceFixtures;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tax platform's file as a second witness (invoice-sync import, topic invoices.imported): it carries
 * fewer fields than an issuing database (no addresses or bank accounts, often no lines), and what it does
 * not carry is not a difference.
 */
class ImportedWitnessTopologyTest {

  private static final FilePosition ROW_7 = FilePosition.newBuilder().setFile("全量发票查询导出_202611.xlsx").setSha256("ab".repeat(32))
      .setSheet("信息汇总表").setRow(7).build();

  private SyncDriver sync;

  @BeforeEach
  void setUp() {
    sync = new SyncDriver(Map.of());
  }

  @AfterEach
  void tearDown() {
    sync.close();
  }

  /** What the export's summary row says of {@code inv}: no addresses, bank accounts, remark or lines. */
  private static InvoiceChange filed(Invoice inv, long lsn, boolean withLines) {
    Invoice partial = Invoice.newBuilder(inv)
        .setSeller(Party.newBuilder(inv.getSeller()).setAddressPhone(null).setBankAccount(null).build())
        .setBuyer(Party.newBuilder(inv.getBuyer()).setAddressPhone(null).setBankAccount(null).build())
        .setRemarks(null).setLines(withLines ? inv.getLines() : List.of()).build();
    return InvoiceChange.newBuilder().setInvoiceId(inv.getId()).setOp(ChangeOps.SNAPSHOT).setAfter(partial).setLinesIncluded(withLines)
        .setSource(SourcePosition.newBuilder().setName("import").setLsn(lsn).setCommitTs(Instant.parse("2026-11-24T07:00:00Z"))
            .setFile(ROW_7).build())
        .setCapturedAt(Instant.parse("2026-11-24T07:00:00Z")).build();
  }

  private static Invoice withAddresses(Invoice inv) {
    return Invoice.newBuilder(inv).setSeller(Party.newBuilder(inv.getSeller()).setAddressPhone("上海市 021-1234").setBankAccount("工行 6222").build())
        .setRemarks("合同 A-1").build();
  }

  @Test
  void aSummaryRowAgreeingWithTheCapturedInvoiceIsDeduplicatedWithItsFileInTheAudit() {
    Invoice inv = withAddresses(InvoiceFixtures.digitalInvoice("inv-filed", 2));
    sync.captured.pipeInput(inv.getId(), InvoiceFixtures.created(inv, 5_000));

    sync.imported.pipeInput(inv.getId(), filed(inv, 1_000, false));

    assertThat(sync.synced.readValuesToList()).hasSize(1);
    assertThat(sync.rejected.isEmpty()).isTrue();
    AuditEntry dedup = sync.audit.readValuesToList().stream().filter(a -> a.getSource().getName().equals("import")).findFirst().orElseThrow();
    assertThat(dedup.getEvent()).isEqualTo("DEDUPLICATED");
    assertThat(dedup.getDetail()).isEqualTo("SAME_AS_SOURCE (unnamed)");
    assertThat(dedup.getSource().getFile()).isEqualTo(ROW_7);
  }

  @Test
  void aFileThatSaysOtherwiseIsASourceConflictNamingTheFieldsAndTheRow() {
    Invoice inv = withAddresses(InvoiceFixtures.digitalInvoice("inv-differs", 1));
    sync.captured.pipeInput(inv.getId(), InvoiceFixtures.created(inv, 5_000));

    sync.imported.pipeInput(inv.getId(), filed(Invoice.newBuilder(inv).setStatus("RED_FLUSHED").build(), 1_000, false));

    Violation v = sync.rejected.readValue().getViolations().get(0);
    assertThat(v.getCode()).isEqualTo("SOURCE_CONFLICT");
    assertThat(v.getMessage()).contains("[status]", "全量发票查询导出_202611.xlsx, sheet 信息汇总表, row 7");
    assertThat(v.getMessage()).doesNotContain("addressPhone", "remarks", "lines");
  }

  @Test
  void theIssuingDatabasesRicherInvoiceAfterTheFilesIsANewVersionOwnedByTheDatabase() {
    Invoice inv = withAddresses(InvoiceFixtures.digitalInvoice("inv-file-first", 2));
    sync.imported.pipeInput(inv.getId(), filed(inv, 1_000, true));
    sync.captured.pipeInput(inv.getId(), InvoiceFixtures.created(inv, 5_000));

    List<InvoiceState> states = sync.synced.readValuesToList();
    assertThat(sync.audit.readValuesToList()).extracting(a -> a.getEvent() + " " + a.getDetail()).containsExactly("APPLIED null", "APPLIED null");
    assertThat(states).extracting(InvoiceState::getVersion).containsExactly(1, 2);
    assertThat(states.get(0).getSource().getFile()).isEqualTo(ROW_7);
    assertThat(states.get(1).getSource().getName()).isEmpty();
    assertThat(states.get(1).getInvoice().getSeller().getBankAccount()).isEqualTo("工行 6222");
    assertThat(sync.rejected.isEmpty()).isTrue();
    // and the file imported again changes nothing
    sync.imported.pipeInput(inv.getId(), filed(inv, 2_000, true));
    assertThat(sync.synced.isEmpty()).isTrue();
    assertThat(sync.rejected.isEmpty()).isTrue();
  }

  @Test
  void aSummaryRowOfAnInvoiceNoSourceDeliveredIsRejectedAskingForTheDetailSheet() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-no-lines", 2);
    sync.imported.pipeInput(inv.getId(), filed(inv, 1_000, false));

    Violation v = sync.rejected.readValue().getViolations().get(0);
    assertThat(v.getCode()).isEqualTo("LINES_NOT_CAPTURED");
    assertThat(v.getMessage()).contains("detail sheet", "row 7");
  }
}
