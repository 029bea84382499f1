package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditKeys;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.testkit.InvoiceFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every decision about an invoice, of every stage, is an entry of its one audit chain. */
class AuditTrailTopologyTest {

  private final SyncDriver sync = new SyncDriver(Map.of());

  @AfterEach
  void tearDown() {
    sync.close();
  }

  @Test
  void shouldAuditEveryKindOfDuplicateWithItsKind() {
    // Given an invoice applied once
    Invoice inv = InvoiceFixtures.digitalInvoice("a-1", 2);
    sync.captured.pipeInput("a-1", InvoiceFixtures.created(inv, 100));
    sync.captured.pipeInput("a-1", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 300));

    // When the same change is redelivered, an older one arrives late, and one changes nothing
    sync.captured.pipeInput("a-1", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 300));
    sync.captured.pipeInput("a-1", InvoiceFixtures.statusChanged(inv, "PARTIALLY_RED_FLUSHED", 200));
    sync.captured.pipeInput("a-1", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 400));

    // Then each is an audit entry that says why it changed nothing, and no new version was made
    List<AuditEntry> trail = sync.audit.readValuesToList();
    assertThat(trail).extracting(AuditEntry::getEvent, AuditEntry::getDetail).containsExactly(
        org.assertj.core.groups.Tuple.tuple("APPLIED", null), org.assertj.core.groups.Tuple.tuple("APPLIED", null),
        org.assertj.core.groups.Tuple.tuple("DEDUPLICATED", "REDELIVERY"), org.assertj.core.groups.Tuple.tuple("DEDUPLICATED", "STALE"),
        org.assertj.core.groups.Tuple.tuple("DEDUPLICATED", "NO_OP"));
    assertThat(trail).allSatisfy(e -> {
      assertThat(e.getStage()).isEqualTo("sync-streams");
      assertThat(e.getInvoiceNumber()).isEqualTo(inv.getInvoiceNumber());
      assertThat(e.getSellerTaxId()).isEqualTo(inv.getSeller().getTaxId());
      assertThat(e.getCapturedAt()).isNotNull();
    });
    assertChained(trail);
    assertThat(sync.synced.readValuesToList()).extracting(InvoiceState::getVersion).containsExactly(1, 2);
  }

  @Test
  void shouldChainTheProjectorsDecisionsIntoTheSameTrail() {
    // Given an applied invoice
    Invoice inv = InvoiceFixtures.digitalInvoice("a-2", 1);
    sync.captured.pipeInput("a-2", InvoiceFixtures.created(inv, 100));
    InvoiceState v1 = sync.synced.readValue();

    // When the projector reports a retry and then the projection
    sync.projection.pipeInput("a-2", event("a-2", "RETRIED", v1, "PSQLException: lock timeout", 1));
    sync.projection.pipeInput("a-2", event("a-2", "PROJECTED", v1, null, null));

    // Then both follow APPLIED in the invoice's chain, marked as the projector's
    List<AuditEntry> trail = sync.audit.readValuesToList();
    assertThat(trail).extracting(AuditEntry::getEvent).containsExactly("APPLIED", "RETRIED", "PROJECTED");
    assertThat(trail.get(1).getStage()).isEqualTo("projector");
    assertThat(trail.get(1).getDetail()).isEqualTo("PSQLException: lock timeout");
    assertThat(trail.get(2).getVersion()).isEqualTo(1);
    assertThat(trail.get(2).getDecidedAt()).isEqualTo(Instant.parse("2026-11-24T08:00:05Z"));
    assertThat(trail.get(2).getInvoiceNumber()).isEqualTo(inv.getInvoiceNumber());
    assertChained(trail);

    // and a later change still chains on
    sync.captured.pipeInput("a-2", InvoiceFixtures.statusChanged(inv, "RED_FLUSHED", 200));
    List<AuditEntry> more = sync.audit.readValuesToList();
    assertThat(more.get(0).getPrevHash()).isEqualTo(trail.get(2).getHash());
  }

  @Test
  void shouldAuditADeadLetteredInputRecordOfAKnownKey() {
    // Given an invoice known to the chain, and then bytes under its key that do not decode
    Invoice inv = InvoiceFixtures.digitalInvoice("a-3", 1);
    sync.captured.pipeInput("a-3", InvoiceFixtures.created(inv, 100));
    sync.capturedRaw.pipeInput("a-3", "garbage".getBytes(StandardCharsets.UTF_8));
    sync.projection.pipeInput("a-3", null); // a tombstone on the projection topic is a poison pill too (a lost report, not a lost change)

    // Then the DLT has both, and the invoice's trail says DEAD_LETTERED with where and why
    assertThat(sync.dlt.readValuesToList()).hasSize(2);
    List<AuditEntry> trail = sync.audit.readValuesToList();
    assertThat(trail).extracting(AuditEntry::getEvent).containsExactly("APPLIED", "DEAD_LETTERED", "REPORT_DEAD_LETTERED");
    assertThat(trail.get(1).getDetail()).startsWith("invoices.captured-").contains("@1: ");
    assertThat(trail.get(2).getDetail()).startsWith("invoices.projection-");
    assertThat(trail.get(1).getSource().getLsn()).isEqualTo(-1);
    assertChained(trail);
  }

  @Test
  void shouldAuditARedInvoiceWaitingForItsBlueOne() {
    Invoice blue = InvoiceFixtures.digitalInvoice("blue-1", 1);
    Invoice red = InvoiceFixtures.redOf(blue, "red-1", 1);

    sync.captured.pipeInput("red-1", InvoiceFixtures.created(red, 100));

    AuditEntry waiting = sync.audit.readValue();
    assertThat(waiting.getEvent()).isEqualTo("AWAITING_RED");
    assertThat(waiting.getDetail()).contains(blue.getInvoiceNumber());
  }

  @Test
  void shouldCheckpointEveryChainHeadSoADeletedChainIsDetectable() {
    // Given two invoices with chains of two and one entries
    Invoice a = InvoiceFixtures.digitalInvoice("c-1", 1);
    sync.captured.pipeInput("c-1", InvoiceFixtures.created(a, 100));
    sync.captured.pipeInput("c-1", InvoiceFixtures.statusChanged(a, "RED_FLUSHED", 200));
    sync.captured.pipeInput("c-2", InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("c-2", 1), 300));
    List<AuditEntry> trail = sync.audit.readValuesToList();

    // When the checkpoint interval passes
    sync.driver.advanceWallClockTime(java.time.Duration.ofMinutes(5));

    // Then one checkpoint commits to both heads, and covers exactly the entries recorded so far
    AuditCheckpoint cp = sync.checkpoints.readValue();
    Map<String, String> heads = new java.util.HashMap<>();
    trail.forEach(e -> heads.put(e.getInvoiceId(), e.getHash()));
    assertThat(cp.getChains()).isEqualTo(2);
    assertThat(cp.getRoot()).isEqualTo(AuditChain.merkleRoot(heads));
    assertThat(cp.getPartition()).isZero();
    assertThat(cp.getPartitions()).isEqualTo(1);
    assertThat(trail).allSatisfy(e -> assertThat(e.getRecordedAt()).isBeforeOrEqualTo(cp.getCheckpointAt()));
    // a chain missing from the topic gives another root
    heads.remove("c-2");
    assertThat(AuditChain.merkleRoot(heads)).isNotEqualTo(cp.getRoot());

    // and an entry recorded after it is recorded after its time
    sync.captured.pipeInput("c-2", InvoiceFixtures.statusChanged(InvoiceFixtures.digitalInvoice("c-2", 1), "RED_FLUSHED", 400));
    assertThat(sync.audit.readValue().getRecordedAt()).isAfter(cp.getCheckpointAt());
  }

  @Test
  void shouldSignEveryEntryAndCheckpointWithTheConfiguredKey(@TempDir Path dir) throws Exception {
    // Given sync-streams with an HMAC signing key (format v3)
    byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    Path key = Files.write(dir.resolve("audit-k1.key"), secret);
    try (SyncDriver keyed = new SyncDriver(Map.of(SyncStreamsConfig.AUDIT_SIGNING_KEY_FILE, key.toString(),
        SyncStreamsConfig.STATE_DIR, dir.resolve("state").toString()))) { // beside the unkeyed driver of the class
      Invoice a = InvoiceFixtures.digitalInvoice("k-1", 1);
      keyed.captured.pipeInput("k-1", InvoiceFixtures.created(a, 100));
      InvoiceState s = keyed.synced.readValue();
      keyed.projection.pipeInput("k-1", event("k-1", "PROJECTED", s, null, null));
      List<AuditEntry> trail = keyed.audit.readValuesToList();
      keyed.driver.advanceWallClockTime(java.time.Duration.ofMinutes(5));
      AuditCheckpoint cp = keyed.checkpoints.readValue();

      // Then every entry of both stages names the key, chains, and carries its MAC; so does the checkpoint
      AuditKeys.Verifier verifier = AuditKeys.Verifier.none().add("audit-k1", key);
      assertThat(trail).hasSize(2).allSatisfy(e -> {
        assertThat(AuditChain.format(e)).isEqualTo(3);
        assertThat(e.getKeyId()).isEqualTo("audit-k1");
        assertThat(verifier.check(e.getKeyId(), AuditChain.canonical(e), e.getMac())).isEqualTo(AuditKeys.Check.VALID);
      });
      assertChained(trail);
      assertThat(verifier.check(cp.getKeyId(), AuditChain.canonical(cp), cp.getMac())).isEqualTo(AuditKeys.Check.VALID);
    }
  }

  private static ProjectionEvent event(String id, String event, InvoiceState s, String detail, Integer attempt) {
    return ProjectionEvent.newBuilder().setInvoiceId(id).setEvent(event).setVersion(s.getVersion()).setSource(s.getSource())
        .setDigest(s.getDigest()).setDetail(detail).setAttempt(attempt).setDecidedAt(Instant.parse("2026-11-24T08:00:05Z"))
        .setInvoiceCode(s.getInvoice().getInvoiceCode()).setInvoiceNumber(s.getInvoice().getInvoiceNumber())
        .setSellerTaxId(s.getInvoice().getSeller().getTaxId()).build();
  }

  /** Every hash recomputes from its entry, and every entry links to its predecessor. */
  static void assertChained(List<AuditEntry> trail) {
    String previous = null;
    for (AuditEntry e : trail) {
      assertThat(e.getPrevHash()).as("link of " + e.getEvent()).isEqualTo(previous);
      assertThat(AuditChain.hash(e)).as("hash of " + e.getEvent()).isEqualTo(e.getHash());
      previous = e.getHash();
    }
  }
}
