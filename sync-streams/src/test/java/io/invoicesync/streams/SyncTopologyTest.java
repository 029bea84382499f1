package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.DeadLetterHeaders;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Topics;
import io.invoicesync.schemas.Violation;
import io.invoicesync.testkit.InvoiceFixtures;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SyncTopologyTest {

  private final SerdeFactory serdes = SerdeFactory.registryLess();

  private SyncDriver sync;

  @BeforeEach
  void setUp() {
    sync = new SyncDriver(Map.of());
  }

  @AfterEach
  void tearDown() {
    sync.close();
  }

  private void pipe(InvoiceChange change) {
    sync.captured.pipeInput(change.getInvoiceId(), change);
  }

  @Test
  void shouldSyncAValidInvoiceAsVersionOneWithAllItsLines() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-1", 3);

    pipe(InvoiceFixtures.created(inv, 100));

    InvoiceState state = sync.synced.readValue();
    assertThat(state.getVersion()).isEqualTo(1);
    assertThat(state.getInvoice()).isEqualTo(inv);
    assertThat(state.getSource().getLsn()).isEqualTo(100);
    assertThat(sync.rejected.isEmpty()).isTrue();
    assertThat(sync.audit.readValue().getEvent()).isEqualTo("APPLIED");
  }

  @Test
  void shouldDropARedeliveredChangeAndCountIt() {
    InvoiceChange change = InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("inv-2", 2), 100);

    pipe(change);
    pipe(change);

    assertThat(sync.synced.readValuesToList()).hasSize(1);
    assertThat(sync.metrics.dropped("redelivery")).isEqualTo(1.0);
  }

  /** {@code change} as source {@code name} captured it, at {@code lsn} of that source's WAL. */
  private static InvoiceChange from(String name, InvoiceChange change, long lsn) {
    return InvoiceChange.newBuilder(change).setSource(SourcePosition.newBuilder(change.getSource()).setName(name).setLsn(lsn).build()).build();
  }

  @Test
  void shouldDeduplicateTheSameInvoiceFromASecondSourceAndKeepEachSourcesPositionsApart() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-two", 2);
    pipe(from("legacy", InvoiceFixtures.created(inv, 5_000), 5_000));
    // the new platform has the same invoice at a lower position of its own WAL: neither stale nor a conflict
    pipe(from("platform", InvoiceFixtures.created(inv, 100), 100));
    // a redelivery from each source is one, within its source
    pipe(from("platform", InvoiceFixtures.created(inv, 100), 100));
    pipe(from("legacy", InvoiceFixtures.created(inv, 5_000), 5_000));
    // the owner's later change applies; the other source repeating it later is a duplicate again
    pipe(from("legacy", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 5_100), 5_100));
    pipe(from("platform", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 150), 150));

    List<InvoiceState> states = sync.synced.readValuesToList();
    assertThat(states).extracting(InvoiceState::getVersion).containsExactly(1, 2);
    assertThat(states.get(1).getSource().getName()).isEqualTo("legacy");
    assertThat(sync.rejected.isEmpty()).isTrue();
    assertThat(sync.metrics.dropped("redelivery")).isEqualTo(2.0);
    List<AuditEntry> audit = sync.audit.readValuesToList();
    assertThat(audit).filteredOn(a -> "SAME_AS_SOURCE 'legacy'".equals(a.getDetail())).hasSize(2)
        .allSatisfy(a -> assertThat(a.getSource().getName()).isEqualTo("platform"));
  }

  @Test
  void shouldRejectOtherContentFromASecondSourceAsASourceConflictNamingBoth() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-conflict", 1);
    pipe(from("legacy", InvoiceFixtures.created(inv, 5_000), 5_000));

    pipe(from("platform", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 100), 100));

    assertThat(sync.synced.readValuesToList()).hasSize(1);
    Violation v = sync.rejected.readValue().getViolations().get(0);
    assertThat(v.getCode()).isEqualTo("SOURCE_CONFLICT");
    assertThat(v.getValue()).isEqualTo("'platform'");
    assertThat(v.getExpected()).isEqualTo("'legacy'");
    assertThat(v.getMessage()).contains("version 1", "'legacy'", "'platform'");
    // the owner goes on undisturbed, at its own positions
    pipe(from("legacy", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 5_100), 5_100));
    assertThat(sync.synced.readValue().getVersion()).isEqualTo(2);
  }

  @Test
  void shouldDropAStaleChangeAndKeepTheNewerState() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-3", 2);
    pipe(InvoiceFixtures.created(inv, 100));
    pipe(InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 300));

    pipe(InvoiceFixtures.statusChanged(inv, "PARTIALLY_RED_FLUSHED", 200)); // older position, arrives late

    List<InvoiceState> states = sync.synced.readValuesToList();
    assertThat(states).extracting(s -> s.getInvoice().getStatus()).containsExactly("ISSUED", "RED_FLUSHED");
    assertThat(sync.metrics.dropped("stale")).isEqualTo(1.0);
  }

  @Test
  void shouldTurnAStatusOnlyChangeIntoAFullStateWithTheLinesKnownBefore() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-4", 3);
    pipe(InvoiceFixtures.created(inv, 100));

    pipe(InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 200));

    List<InvoiceState> states = sync.synced.readValuesToList();
    InvoiceState v2 = states.get(1);
    assertThat(v2.getVersion()).isEqualTo(2);
    assertThat(v2.getInvoice().getStatus()).isEqualTo("RED_FLUSHED");
    assertThat(v2.getInvoice().getLines()).containsExactlyElementsOf(inv.getLines());
  }

  @Test
  void shouldDropAChangeThatAltersNothing() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-5", 1);
    pipe(InvoiceFixtures.created(inv, 100));

    pipe(InvoiceFixtures.statusChanged(inv, "ISSUED", 200));

    assertThat(sync.synced.readValuesToList()).hasSize(1);
    assertThat(sync.metrics.dropped("no_op")).isEqualTo(1.0);
  }

  @Test
  void shouldRejectWrongTotalsWithEveryReasonNamingFieldAndValues() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-6", 2);
    inv.setTotalAmount(inv.getTotalAmount().add(new BigDecimal("0.01")));
    inv.setGrandTotal(new BigDecimal("1.00"));

    pipe(InvoiceFixtures.created(inv, 100));

    assertThat(sync.synced.isEmpty()).isTrue();
    InvoiceRejected r = sync.rejected.readValue();
    assertThat(r.getViolations()).extracting(Violation::getCode).contains("TOTAL_AMOUNT_MISMATCH", "GRAND_TOTAL_MISMATCH");
    Violation total = r.getViolations().stream().filter(v -> v.getCode().equals("TOTAL_AMOUNT_MISMATCH")).findFirst().orElseThrow();
    assertThat(total.getField()).isEqualTo("totalAmount");
    assertThat(total.getValue()).isEqualTo(inv.getTotalAmount().toPlainString());
    assertThat(total.getExpected()).isEqualTo(inv.getTotalAmount().subtract(new BigDecimal("0.01")).toPlainString());
    assertThat(sync.audit.readValue().getDetail()).contains("TOTAL_AMOUNT_MISMATCH");
  }

  @Test
  void shouldRejectMissingRequiredFieldsAndABadSellerTaxId() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-7", 1);
    inv.setInvoiceNumber(null);
    inv.getSeller().setTaxId("91350100M000100Y44");

    pipe(InvoiceFixtures.created(inv, 100));

    assertThat(sync.rejected.readValue().getViolations()).extracting(Violation::getCode, Violation::getField)
        .contains(org.assertj.core.groups.Tuple.tuple("REQUIRED_FIELD_MISSING", "invoiceNumber"),
            org.assertj.core.groups.Tuple.tuple("SELLER_TAX_ID_CHECKSUM", "seller.taxId"));
  }

  @Test
  void shouldRejectAStatusRegressionAndKeepTheSyncedState() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-8", 1);
    pipe(InvoiceFixtures.created(inv, 100));
    pipe(InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 200));

    pipe(InvoiceFixtures.statusChanged(inv, "ISSUED", 300));

    assertThat(sync.synced.readValuesToList()).hasSize(2);
    assertThat(sync.rejected.readValue().getViolations()).extracting(Violation::getCode).containsExactly("STATUS_REGRESSION");
  }

  @Test
  void shouldRejectAHeaderOnlyChangeOfAnInvoiceNeverSynced() {
    pipe(InvoiceFixtures.statusChanged(InvoiceFixtures.digitalInvoice("inv-9", 1), "RED_FLUSHED", 100));

    assertThat(sync.rejected.readValue().getViolations()).extracting(Violation::getCode).containsExactly("LINES_NOT_CAPTURED");
  }

  @Test
  void shouldPutBackTheLongValuesAnUpdateDidNotSendFromThePreviousState() {
    // REPLICA IDENTITY DEFAULT: an UPDATE leaves unchanged TOASTed columns out, and Debezium says so with its placeholder
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-toast", 2);
    inv.setRemarks("备注".repeat(200));
    inv.getBuyer().setAddressPhone("上海市浦东新区".repeat(40) + " 021-12345678");
    pipe(InvoiceFixtures.created(inv, 100));
    Invoice voided = Invoice.newBuilder(inv).build();
    voided.setRemarks(io.invoicesync.streams.internal.UnavailableValues.PLACEHOLDER);
    voided.getBuyer().setAddressPhone(io.invoicesync.streams.internal.UnavailableValues.PLACEHOLDER);

    pipe(InvoiceFixtures.statusChanged(voided, "PARTIALLY_RED_FLUSHED", 200));

    List<InvoiceState> states = sync.synced.readValuesToList();
    assertThat(states).hasSize(2);
    Invoice v2 = states.get(1).getInvoice();
    assertThat(v2.getStatus()).isEqualTo("PARTIALLY_RED_FLUSHED");
    assertThat(v2.getRemarks()).isEqualTo(inv.getRemarks());
    assertThat(v2.getBuyer().getAddressPhone()).isEqualTo(inv.getBuyer().getAddressPhone());
    assertThat(v2.toString()).doesNotContain(io.invoicesync.streams.internal.UnavailableValues.PLACEHOLDER);
  }

  @Test
  void shouldRejectAPlaceholderWithNoEarlierStateToTakeItsValueFrom() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-toast-2", 1);
    inv.setRemarks(io.invoicesync.streams.internal.UnavailableValues.PLACEHOLDER);

    pipe(InvoiceFixtures.created(inv, 100));

    assertThat(sync.synced.readValuesToList()).isEmpty();
    assertThat(sync.rejected.readValue().getViolations()).extracting(Violation::getCode, Violation::getField)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("VALUE_UNAVAILABLE", "remarks"));
  }

  @Test
  void shouldRejectAChangeWhoseValuesTheMappingCouldNotReadNamingTheColumnFirst() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-mapped", 1);
    inv.setIssueDate(null); // kprq '20261301': the field left empty by the mapping
    Violation problem = Violation.newBuilder().setCode("MAPPING_VALUE").setField("invoice.issueDate").setValue("20261301")
        .setMessage("the mapping could not read column kprq = '20261301': not a date in the format yyyyMMdd").build();
    InvoiceChange change = InvoiceChange.newBuilder(InvoiceFixtures.created(inv, 100)).setMappingProblems(List.of(problem)).build();

    pipe(change);

    assertThat(sync.synced.readValuesToList()).isEmpty();
    List<Violation> violations = sync.rejected.readValue().getViolations();
    assertThat(violations.get(0)).as("the mapping's reason first, with the column and the value").isEqualTo(problem);
    assertThat(violations).as("then what validation makes of the empty field").hasSizeGreaterThan(1);
  }

  @Test
  void shouldRejectAnOtherwiseValidChangeThatCarriesAMappingProblem() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-mapped-2", 1);
    inv.setRemarks(null); // bz could not be read: an optional field, so validation alone would let it through
    InvoiceChange change = InvoiceChange.newBuilder(InvoiceFixtures.created(inv, 100)).setMappingProblems(List.of(Violation.newBuilder()
        .setCode("MAPPING_VALUE").setField("invoice.remarks").setValue("\\x00").setMessage("not text").build())).build();

    pipe(change);

    assertThat(sync.synced.readValuesToList()).isEmpty();
    assertThat(sync.rejected.readValue().getViolations()).extracting(Violation::getCode).containsExactly("MAPPING_VALUE");
  }

  @Test
  void shouldRejectAChangeIngestSentWithoutItsLinesBecauseItWasTooLarge() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-huge", 1);
    inv.setLines(List.of());
    InvoiceChange change = InvoiceChange.newBuilder(InvoiceFixtures.created(inv, 100)).setLinesIncluded(false)
        .setLinesOmitted("200000 lines, 20000000 bytes serialized; ingest.max.change.bytes is 16777216").build();

    pipe(change);

    assertThat(sync.synced.readValuesToList()).isEmpty();
    Violation v = sync.rejected.readValue().getViolations().get(0);
    assertThat(v.getCode()).isEqualTo("CHANGE_TOO_LARGE");
    assertThat(v.getField()).isEqualTo("lines");
    assertThat(v.getValue()).contains("200000 lines", "20000000 bytes");
    assertThat(v.getMessage()).contains("ingest.max.change.bytes");
  }

  @Test
  void shouldTakeAChangeFromARestoredOrMovedClusterAtALowerLsnAsNewerWhenItsEpochIsHigher() {
    // Given an invoice synced from the old cluster at a high position
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-moved", 1);
    pipe(withEpoch(InvoiceFixtures.created(inv, 900_000), 1_700_000_000_001L));

    // When the database moved to a new cluster (later initdb: higher epoch) whose WAL starts lower, and the invoice is red-flushed there
    pipe(withEpoch(InvoiceFixtures.statusChanged(inv, "PARTIALLY_RED_FLUSHED", 2_000), 1_750_000_000_001L));
    // and the old cluster's last change is delivered again (a replay of invoices.captured)
    pipe(withEpoch(InvoiceFixtures.created(inv, 900_000), 1_700_000_000_001L));

    // Then the new cluster's change is version 2, and the old one is not applied over it
    List<InvoiceState> states = sync.synced.readValuesToList();
    assertThat(states).extracting(InvoiceState::getVersion).containsExactly(1, 2);
    assertThat(states.get(1).getInvoice().getStatus()).isEqualTo("PARTIALLY_RED_FLUSHED");
    assertThat(states.get(1).getSource().getEpoch()).isEqualTo(1_750_000_000_001L);
  }

  @Test
  void shouldCompareByLsnAloneWhenAPositionHasNoEpoch() {
    // a change captured before epochs existed (0), then its redelivery by an ingest that knows its epoch: the same position
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-epoch0", 1);
    pipe(InvoiceFixtures.created(inv, 500));
    pipe(withEpoch(InvoiceFixtures.created(inv, 500), 1_750_000_000_001L));
    pipe(withEpoch(InvoiceFixtures.statusChanged(inv, "PARTIALLY_RED_FLUSHED", 400), 1_750_000_000_001L));

    assertThat(sync.synced.readValuesToList()).extracting(InvoiceState::getVersion).containsExactly(1);
    assertThat(sync.rejected.isEmpty()).isTrue();
  }

  private static InvoiceChange withEpoch(InvoiceChange c, long epoch) {
    return InvoiceChange.newBuilder(c).setSource(io.invoicesync.schemas.SourcePosition.newBuilder(c.getSource()).setEpoch(epoch).build()).build();
  }

  @Test
  void shouldChainAuditEntriesPerInvoice() {
    Invoice inv = InvoiceFixtures.digitalInvoice("inv-10", 1);
    pipe(InvoiceFixtures.created(inv, 100));
    pipe(InvoiceFixtures.statusChanged(inv, "PARTIALLY_RED_FLUSHED", 200));

    List<AuditEntry> entries = sync.audit.readValuesToList();
    assertThat(entries.get(0).getPrevHash()).isNull();
    assertThat(entries.get(1).getPrevHash()).isEqualTo(entries.get(0).getHash());
    assertThat(entries.get(1).getHash()).hasSize(64).isNotEqualTo(entries.get(0).getHash());
  }

  @Test
  void shouldSendUndecodableBytesToTheDeadLetterTopicWithProvenanceAndGoOn() {
    byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
    sync.capturedRaw.pipeInput("bad-1", garbage);
    pipe(InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("inv-11", 1), 100));

    TestRecord<String, byte[]> dead = sync.dlt.readRecord();
    assertThat(dead.key()).isEqualTo("bad-1");
    assertThat(dead.value()).isEqualTo(garbage);
    assertThat(header(dead, DeadLetterHeaders.ORIGINAL_TOPIC)).isEqualTo(Topics.CAPTURED.name());
    assertThat(header(dead, DeadLetterHeaders.ORIGINAL_OFFSET)).isEqualTo("0");
    assertThat(header(dead, DeadLetterHeaders.EXCEPTION_CLASS)).isNotBlank();
    assertThat(header(dead, DeadLetterHeaders.STAGE)).isEqualTo("sync-streams");
    assertThat(sync.synced.readValue().getInvoice().getId()).isEqualTo("inv-11");
    assertThat(sync.metrics.deadLettered()).isEqualTo(1.0);
  }

  private static String header(TestRecord<String, byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
