package io.invoicesync.outcomes.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditKeys;
import io.invoicesync.schemas.SourcePosition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verifier's verdicts on keyed chains, forged as an insider with the topic but without the key
 * would forge them (the published formula recomputed), and its checkpoint coverage rules.
 */
class AuditVerifierTest {

  static final byte[] K1 = "key one, thirty-two bytes long!!".getBytes(StandardCharsets.UTF_8);
  static final byte[] K2 = "key two, thirty-two bytes long!!".getBytes(StandardCharsets.UTF_8);
  static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

  @TempDir
  Path dir;

  /** A chain of {@code n} entries of {@code id}, recorded a second apart from {@code start}, signed with {@code key}. */
  static List<AuditEntry> chain(String id, int n, Instant start, AuditKeys.SigningKey key) {
    List<AuditEntry> out = new ArrayList<>();
    String prev = null;
    for (int i = 0; i < n; i++) {
      AuditEntry e = AuditEntry.newBuilder().setInvoiceId(id).setEvent(i == 0 ? "APPLIED" : "PROJECTED").setVersion(1)
          .setSource(SourcePosition.newBuilder().setLsn(100 + i).setCommitTs(start).setSnapshot(false).setEpoch(1).build())
          .setDigest("d").setDetail(null).setPrevHash(prev).setHash("").setRecordedAt(start.plusSeconds(i)).setStage("sync-streams").build();
      e = key == null ? AuditChain.seal(e) : AuditChain.seal(e, key);
      out.add(e);
      prev = e.getHash();
    }
    return out;
  }

  AuditKeys.Verifier keys(boolean k1, boolean k2) throws Exception {
    AuditKeys.Verifier v = AuditKeys.Verifier.none();
    if (k1) {
      v.add("k1", Files.write(dir.resolve("k1.key"), K1));
    }
    if (k2) {
      v.add("k2", Files.write(dir.resolve("k2.key"), K2));
    }
    return v;
  }

  static List<AuditVerifier.Problem> verify(AuditKeys.Verifier keys, List<AuditEntry> entries) {
    AuditVerifier v = new AuditVerifier(null, null, null).withKeys(keys, true);
    long offset = 0;
    for (AuditEntry e : entries) {
      v.accept(0, offset++, e);
    }
    return v.finish(false);
  }

  @Test
  void aChainAsSignedVerifies() throws Exception {
    assertThat(verify(keys(true, false), chain("inv-1", 3, T0, AuditKeys.hmac("k1", K1)))).isEmpty();
  }

  @Test
  void anAlteredAndRechainedEntryIsForgedNamingTheInvoice() throws Exception {
    List<AuditEntry> c = chain("inv-1", 3, T0, AuditKeys.hmac("k1", K1));
    c.get(1).setDetail("altered");
    c.get(1).setHash(AuditChain.hash(c.get(1))); // the published formula
    c.get(2).setPrevHash(c.get(1).getHash());
    c.get(2).setHash(AuditChain.hash(c.get(2)));

    List<AuditVerifier.Problem> p = verify(keys(true, false), c);
    assertThat(p).extracting(AuditVerifier.Problem::kind).containsExactly("FORGED", "FORGED");
    assertThat(p).extracting(AuditVerifier.Problem::invoiceId).containsOnly("inv-1");
  }

  @Test
  void anAppendedEntrySignedWithAnotherKeyOrUnkeyedIsCaught() throws Exception {
    List<AuditEntry> c = chain("inv-1", 2, T0, AuditKeys.hmac("k1", K1));
    AuditEntry forged = chain("inv-1", 1, T0.plusSeconds(5), AuditKeys.hmac("k1", "the insider's own key of 32 bytes".getBytes(
        StandardCharsets.UTF_8))).get(0);
    forged.setPrevHash(c.get(1).getHash());
    AuditChain.seal(forged, AuditKeys.hmac("k1", "the insider's own key of 32 bytes".getBytes(StandardCharsets.UTF_8)));
    AuditEntry unkeyed = chain("inv-2", 1, T0.plusSeconds(6), null).get(0);
    c.add(forged);
    c.add(unkeyed);

    List<AuditVerifier.Problem> p = verify(keys(true, false), c);
    assertThat(p).extracting(AuditVerifier.Problem::kind).containsExactly("FORGED", "UNKEYED");
    assertThat(p).extracting(AuditVerifier.Problem::invoiceId).containsExactly("inv-1", "inv-2");
  }

  @Test
  void rotatedKeysVerifyWithBothAndTheOldOnesAreUnverifiableWithoutIt() throws Exception {
    List<AuditEntry> c = chain("inv-1", 2, T0, AuditKeys.hmac("k1", K1));
    List<AuditEntry> later = chain("inv-2", 3, T0.plusSeconds(10), AuditKeys.hmac("k2", K2));
    c.addAll(later);
    assertThat(verify(keys(true, true), c)).isEmpty();

    List<AuditVerifier.Problem> p = verify(keys(false, true), c);
    assertThat(p).hasSize(1); // one per key not given, not one per entry
    assertThat(p.get(0).kind()).isEqualTo("UNVERIFIABLE");
    assertThat(p.get(0).invoiceId()).isEqualTo("inv-1");
    assertThat(p.get(0).message()).contains("2 entries and 0 checkpoints", "key k1");

    // the API's trace holds no key: hashes and links only, nothing unverifiable
    AuditVerifier trace = new AuditVerifier("inv-1", null, null);
    c.forEach(e -> trace.accept(0, 0, e));
    assertThat(trace.finish(false)).isEmpty();
  }

  @Test
  void aForgedLaterCheckpointIsReportedAndNotTheOneVerified() throws Exception {
    AuditKeys.SigningKey k1 = AuditKeys.hmac("k1", K1);
    List<AuditEntry> c = chain("inv-1", 2, T0, k1);
    AuditVerifier v = new AuditVerifier(null, null, null).withKeys(keys(true, false), true);
    c.forEach(e -> v.accept(AuditChain.partitionOf("inv-1", 6), 0, e));
    int p = AuditChain.partitionOf("inv-1", 6);
    AuditCheckpoint real = AuditChain.sign(AuditCheckpoint.newBuilder().setPartition(p).setPartitions(6)
        .setCheckpointAt(T0.plusSeconds(2)).setChains(1).setRoot(AuditChain.merkleRoot(Map.of("inv-1", c.get(1).getHash()))).build(), k1);
    // the insider drops inv-1's chain and commits to an empty partition, later, with the published Merkle formula
    AuditCheckpoint forged = AuditCheckpoint.newBuilder(real).setCheckpointAt(T0.plusSeconds(60)).setChains(0)
        .setRoot(AuditChain.merkleRoot(Map.of())).build();
    v.acceptCheckpoint(real, 0, 0);
    v.acceptCheckpoint(forged, 0, 1);

    List<AuditVerifier.Problem> problems = v.finish(false);
    assertThat(problems).extracting(AuditVerifier.Problem::kind).containsExactly("FORGED_CHECKPOINT");
    assertThat(v.checkpoints()).isEqualTo(1); // the real one, which still matches the topic
  }

  @Test
  void entriesNoCheckpointCoversAreNamedByPartition() throws Exception {
    AuditKeys.SigningKey k1 = AuditKeys.hmac("k1", K1);
    Instant now = T0.plus(Duration.ofHours(1));
    AuditVerifier none = new AuditVerifier(null, null, null).withKeys(keys(true, false), true);
    chain("inv-1", 2, T0, k1).forEach(e -> none.accept(0, 0, e));
    none.requireCheckpoints(Duration.ofMinutes(5), now, 6);
    assertThat(none.finish(false)).extracting(AuditVerifier.Problem::kind).containsExactly("NO_CHECKPOINT");

    AuditVerifier stale = new AuditVerifier(null, null, null).withKeys(keys(true, false), true);
    List<AuditEntry> c = chain("inv-1", 2, T0, k1);
    c.addAll(chain("inv-1b", 1, T0.plus(Duration.ofMinutes(30)), k1));
    c.forEach(e -> stale.accept(0, 0, e));
    int p = AuditChain.partitionOf("inv-1", 6);
    stale.acceptCheckpoint(AuditChain.sign(AuditCheckpoint.newBuilder().setPartition(p).setPartitions(6).setCheckpointAt(T0.plusSeconds(5))
        .setChains(1).setRoot(AuditChain.merkleRoot(Map.of("inv-1", c.get(1).getHash()))).build(), k1), 0, 0);
    stale.requireCheckpoints(Duration.ofMinutes(5), now, 6);
    List<AuditVerifier.Problem> problems = stale.finish(false);
    if (AuditChain.partitionOf("inv-1b", 6) == p) {
      assertThat(problems).extracting(AuditVerifier.Problem::kind).contains("STALE_CHECKPOINT");
    } else {
      assertThat(problems).extracting(AuditVerifier.Problem::kind).contains("NO_CHECKPOINT");
    }

    // recent entries (within two intervals) need no checkpoint yet
    AuditVerifier recent = new AuditVerifier(null, null, null).withKeys(keys(true, false), true);
    chain("inv-1", 2, now.minusSeconds(30), k1).forEach(e -> recent.accept(0, 0, e));
    recent.requireCheckpoints(Duration.ofMinutes(5), now, 6);
    assertThat(recent.finish(false)).isEmpty();
  }

  @Test
  void anchorsHoldTheTopicsToWhatWasCheckpointed() throws Exception {
    AuditKeys.SigningKey k1 = AuditKeys.hmac("k1", K1);
    List<AuditEntry> c = chain("inv-1", 2, T0, k1);
    int p = AuditChain.partitionOf("inv-1", 6);
    AuditCheckpoint cp = AuditChain.sign(AuditCheckpoint.newBuilder().setPartition(p).setPartitions(6).setCheckpointAt(T0.plusSeconds(5))
        .setChains(1).setRoot(AuditChain.merkleRoot(Map.of("inv-1", c.get(1).getHash()))).build(), k1);
    AuditAnchor anchor = new AuditAnchor(0, 7, cp, "anchors.jsonl:1");

    // as written: the topic has the checkpoint at its anchored place, and gives its root
    AuditVerifier ok = new AuditVerifier(null, null, null).withKeys(keys(true, false), true);
    c.forEach(e -> ok.accept(p, 0, e));
    ok.acceptCheckpoint(cp, 0, 7);
    ok.acceptAnchors(List.of(anchor, anchor), Map.of(0, 8L)); // a repeated line counts once
    assertThat(ok.finish(true)).isEmpty();

    // both topics rewritten: the chain and its checkpoint gone, the checkpoint topic cut below the anchored offset
    AuditVerifier cut = new AuditVerifier(null, null, null).withKeys(keys(true, false), true);
    cut.acceptAnchors(List.of(anchor), Map.of(0, 3L));
    assertThat(cut.finish(false)).extracting(AuditVerifier.Problem::kind).containsExactlyInAnyOrder("TRUNCATED", "ANCHOR_ROOT_MISMATCH");

    // the checkpoint topic rewritten in place, and an anchor line forged into the file
    AuditVerifier rewritten = new AuditVerifier(null, null, null).withKeys(keys(true, false), true);
    c.forEach(e -> rewritten.accept(p, 0, e));
    rewritten.acceptCheckpoint(AuditCheckpoint.newBuilder(cp).setRoot("other").build(), 0, 7);
    AuditAnchor forged = new AuditAnchor(0, 9, AuditCheckpoint.newBuilder(cp).setChains(0).build(), "anchors.jsonl:2");
    rewritten.acceptAnchors(List.of(anchor, forged), Map.of(0, 10L));
    assertThat(rewritten.finish(false)).extracting(AuditVerifier.Problem::kind).contains("ANCHOR_MISMATCH", "FORGED_ANCHOR");
  }

  @Test
  void anEntryLinkingToAnOlderOneThanTheHeadIsReordered() {
    List<AuditEntry> c = chain("inv-1", 3, T0, null);
    c.get(2).setPrevHash(c.get(0).getHash()); // skips the middle entry, which is still on the topic
    c.get(2).setHash(AuditChain.hash(c.get(2)));
    List<AuditVerifier.Problem> p = verify(AuditKeys.Verifier.none(), c);
    assertThat(p).extracting(AuditVerifier.Problem::kind).containsExactly("REORDERED");
    assertThat(p.get(0).message()).contains("links to the entry at offset 0");
    assertThat(p.get(0).invoiceId()).isEqualTo("inv-1");
  }
}
