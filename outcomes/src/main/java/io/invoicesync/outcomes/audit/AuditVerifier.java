package io.invoicesync.outcomes.audit;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Verifies {@code invoices.audit} the way an auditor would, with nothing but the topic and the
 * documented formula ({@link AuditChain}): every entry's hash is recomputed, every link to its
 * predecessor checked, and each task's latest {@link AuditCheckpoint} compared with the chain heads
 * the topic gives as of its time, so a deleted chain or a truncated topic shows too. Pure: fed the
 * records in offset order per partition, it reports; reading them is the command's job.
 *
 * <p>Keyed entries and checkpoints (format v3) are checked against the auditor's keys
 * ({@link AuditKeys.Verifier}): a MAC that is not the named key's is {@code FORGED}; a key that was
 * not given makes the entry {@code UNVERIFIABLE} when keys are required; an unkeyed entry after a
 * keyed one in the same partition is {@code UNKEYED} (written without the key). A forged or unkeyed
 * checkpoint after keyed ones is reported and never taken as a partition's latest.
 */
public final class AuditVerifier {

  /** One broken, missing or reordered link, or a checkpoint the topic no longer matches. */
  public record Problem(String invoiceId, int partition, long offset, String kind, String message) {
  }

  private record Link(String hash, long recordedAt, int partition, long offset) {
  }

  private record Checkpoint(AuditCheckpoint checkpoint, int partition, long offset) {
  }

  private static final class Unverifiable {
    final String firstInvoice;
    final int partition;
    final long offset;
    long entries;
    long checkpoints;

    Unverifiable(String firstInvoice, int partition, long offset) {
      this.firstInvoice = firstInvoice;
      this.partition = partition;
      this.offset = offset;
    }
  }

  private final Map<String, Unverifiable> unverifiable = new TreeMap<>();
  /** Every checkpoint record as read from the topic, accepted or not, by "partition@offset". */
  private final Map<String, AuditCheckpoint> asRead = new HashMap<>();
  private final Map<String, AuditAnchor> anchors = new LinkedHashMap<>();
  private Map<Integer, Long> checkpointTopicEnds = Map.of();

  /**
   * Anchors of the checkpoints outside Kafka ({@link AuditAnchor}), compared by {@link #finish}: an
   * anchored checkpoint the topic no longer has at its place (rewritten, or the topic truncated below
   * it), one that differs, and a root the audit topic no longer gives are problems.
   *
   * @param checkpointTopicEnds the checkpoint topic's end offset per partition, when read
   */
  public void acceptAnchors(List<AuditAnchor> anchored, Map<Integer, Long> checkpointTopicEnds) {
    anchored.forEach(a -> anchors.putIfAbsent(a.checkpointPartition() + "@" + a.checkpointOffset(), a)); // a file may repeat a line
    this.checkpointTopicEnds = Map.copyOf(checkpointTopicEnds);
  }

  private final Map<String, List<Link>> chains = new LinkedHashMap<>();
  private final Map<Integer, Checkpoint> latestCheckpoints = new HashMap<>();
  private final List<Checkpoint> allCheckpoints = new ArrayList<>();
  private final List<Problem> problems = new ArrayList<>();
  private final String onlyInvoice;
  private final Instant from;
  private final Instant to;
  private AuditKeys.Verifier keys = AuditKeys.Verifier.none();
  private boolean keysRequired;
  private final Set<Integer> keyedPartitions = new TreeSet<>();
  private final Set<Integer> keyedCheckpointPartitions = new TreeSet<>();
  private long entries;
  private long keyed;

  /**
   * @param onlyInvoice report only this invoice's problems (null: all), and skip checkpoints
   * @param from        report only problems of entries recorded at or after this (null: no bound)
   * @param to          report only problems of entries recorded before this (null: no bound)
   */
  public AuditVerifier(String onlyInvoice, Instant from, Instant to) {
    this.onlyInvoice = onlyInvoice;
    this.from = from;
    this.to = to;
  }

  /**
   * Checks keyed entries and checkpoints with {@code keys}; {@code required}: a keyed entry whose key
   * is not among them is reported UNVERIFIABLE (an auditor's run), else only MACs of given keys are checked.
   */
  public AuditVerifier withKeys(AuditKeys.Verifier keys, boolean required) {
    this.keys = keys;
    this.keysRequired = required;
    return this;
  }

  /** The next entry of a partition, in offset order. */
  public void accept(int partition, long offset, AuditEntry e) {
    entries++;
    List<Link> chain = chains.computeIfAbsent(e.getInvoiceId(), k -> new ArrayList<>());
    String recomputed = AuditChain.hash(e);
    if (!recomputed.equals(e.getHash())) {
      report(e, partition, offset, "ALTERED", "its content does not match its hash (" + e.getEvent() + ", detail " + e.getDetail() + ")");
    }
    if (e.getKeyId() != null) {
      keyed++;
      keyedPartitions.add(partition);
      switch (keys.check(e.getKeyId(), AuditChain.canonical(e), e.getMac())) {
        case INVALID -> report(e, partition, offset, "FORGED", "its MAC is not key " + e.getKeyId() + "'s: written or rewritten "
            + "without the signing key (" + e.getEvent() + ")");
        case NO_KEY -> {
          if (keysRequired && (onlyInvoice == null || onlyInvoice.equals(e.getInvoiceId())) && inWindow(e.getRecordedAt())) {
            // one problem per missing key, naming its first entry: a topic signed with one key has as many entries as invoices
            unverifiable.computeIfAbsent(e.getKeyId(), k -> new Unverifiable(e.getInvoiceId(), partition, offset)).entries++;
          }
        }
        default -> { }
      }
    } else if (keyedPartitions.contains(partition)) {
      report(e, partition, offset, "UNKEYED", "an unkeyed entry after keyed ones in this partition: written without the signing key ("
          + e.getEvent() + ")");
    }
    String last = chain.isEmpty() ? null : chain.get(chain.size() - 1).hash();
    if (chain.isEmpty() && e.getPrevHash() != null) {
      report(e, partition, offset, "MISSING", "the first entry of the invoice on the topic links to an earlier entry that is not there");
    } else if (!chain.isEmpty() && !Objects.equals(e.getPrevHash(), last)) {
      Link same = find(chain, e.getHash());
      Link earlier = find(chain, e.getPrevHash());
      if (same != null) {
        report(e, partition, offset, "REPLAYED", "the same entry (" + e.getEvent() + ") is already at offset " + same.offset());
        return; // a copy: the chain goes on from its true head
      } else if (earlier != null) {
        report(e, partition, offset, "REORDERED", "links to the entry at offset " + earlier.offset() + ", not to the newest one at offset "
            + chain.get(chain.size() - 1).offset());
      } else if (e.getPrevHash() == null) {
        report(e, partition, offset, "REORDERED", "starts a new chain although the invoice has " + chain.size() + " entries before it");
      } else {
        report(e, partition, offset, "MISSING", "its predecessor is not on the topic: an entry before it (after offset "
            + chain.get(chain.size() - 1).offset() + ") was dropped");
      }
    }
    chain.add(new Link(e.getHash(), e.getRecordedAt().toEpochMilli(), partition, offset));
  }

  /** A record of the audit or checkpoint topic that did not decode. */
  public void acceptUndecodable(String key, int partition, long offset, String why) {
    if (onlyInvoice == null || onlyInvoice.equals(key)) {
      problems.add(new Problem(key, partition, offset, "UNREADABLE", "does not decode: " + why));
    }
  }

  public void acceptCheckpoint(AuditCheckpoint cp, int partition, long offset) {
    Checkpoint c = new Checkpoint(cp, partition, offset);
    asRead.put(partition + "@" + offset, cp);
    String refused = null;
    if (cp.getKeyId() != null) {
      keyedCheckpointPartitions.add(partition);
      AuditKeys.Check check = keys.check(cp.getKeyId(), AuditChain.canonical(cp), cp.getMac());
      if (check == AuditKeys.Check.INVALID) {
        refused = "FORGED_CHECKPOINT";
      } else if (check == AuditKeys.Check.NO_KEY && keysRequired) {
        if (onlyInvoice == null) {
          unverifiable.computeIfAbsent(cp.getKeyId(), k -> new Unverifiable(null, partition, offset)).checkpoints++;
        }
        return; // not used: its root cannot be trusted
      }
    } else if (keyedCheckpointPartitions.contains(partition)) {
      refused = "UNKEYED";
    }
    if (refused != null) {
      if (onlyInvoice == null) {
        problems.add(new Problem(null, partition, offset, refused, "the checkpoint of input partition " + cp.getPartition() + " at "
            + cp.getCheckpointAt() + " is not signed by a key of the audit: written without the signing key; it is not used"));
      }
      return;
    }
    allCheckpoints.add(c);
    latestCheckpoints.merge(cp.getPartition(), c, (a, b) -> b.checkpoint().getCheckpointAt().isAfter(a.checkpoint().getCheckpointAt()) ? b : a);
  }

  /**
   * Requires checkpoint coverage: every entry recorded before {@code now} minus two {@code interval}s
   * must be covered by a checkpoint of its input partition (none for a partition with entries, or
   * the newest too old, is a problem naming the partition). Not called: checkpoints are off, and
   * deletions are not detectable.
   */
  public void requireCheckpoints(Duration interval, Instant now, int inputPartitions) {
    if (onlyInvoice != null) {
      return;
    }
    Instant due = now.minus(interval.multipliedBy(2));
    int partitions = latestCheckpoints.values().stream().map(c -> c.checkpoint().getPartitions()).filter(n -> n > 0).findFirst()
        .orElse(inputPartitions); // the partition count the checkpoints name, when there are any
    Map<Integer, Long> newestDue = new TreeMap<>();
    chains.forEach((id, chain) -> {
      for (Link l : chain) {
        if (l.recordedAt() < due.toEpochMilli()) {
          newestDue.merge(AuditChain.partitionOf(id, partitions), l.recordedAt(), Math::max);
        }
      }
    });
    newestDue.forEach((p, newest) -> {
      Checkpoint latest = latestCheckpoints.get(p);
      if (latest == null) {
        problems.add(new Problem(null, p, -1, "NO_CHECKPOINT", "input partition " + p + " has audit entries recorded up to "
            + Instant.ofEpochMilli(newest) + " and no checkpoint: a deleted chain or a truncated topic would not show"));
      } else if (latest.checkpoint().getCheckpointAt().toEpochMilli() < newest) {
        problems.add(new Problem(null, p, latest.offset(), "STALE_CHECKPOINT", "input partition " + p + "'s newest checkpoint is of "
            + latest.checkpoint().getCheckpointAt() + ", but it has entries recorded up to " + Instant.ofEpochMilli(newest)
            + ", more than two checkpoint intervals (" + interval + ") ago"));
      }
    });
  }

  /** Checks the checkpoints ({@code all}: every one, else each task's latest) and returns every problem found. */
  public List<Problem> finish(boolean all) {
    if (onlyInvoice == null && !anchors.isEmpty()) {
      checkAnchors(all);
    }
    unverifiable.forEach((key, u) -> problems.add(new Problem(u.firstInvoice, u.partition, u.offset, "UNVERIFIABLE", u.entries
        + " entr" + (u.entries == 1 ? "y" : "ies") + " and " + u.checkpoints + " checkpoint" + (u.checkpoints == 1 ? "" : "s")
        + " are signed with key " + key + ", which was not given (--key " + key + "=FILE)"
        + (u.firstInvoice == null ? "" : "; the first entry is this invoice's"))));
    unverifiable.clear();
    if (onlyInvoice == null) {
      for (Checkpoint c : all ? allCheckpoints : List.copyOf(latestCheckpoints.values())) {
        AuditCheckpoint cp = c.checkpoint();
        if (!inWindow(cp.getCheckpointAt())) {
          continue;
        }
        Map<String, String> heads = headsAt(cp);
        String root = AuditChain.merkleRoot(heads);
        if (!root.equals(cp.getRoot())) {
          problems.add(new Problem(null, c.partition(), c.offset(), "CHECKPOINT_MISMATCH", "the checkpoint of input partition "
              + cp.getPartition() + " at " + cp.getCheckpointAt() + " commits to " + cp.getChains() + " chains (root " + cp.getRoot()
              + "); the audit topic gives " + heads.size() + " (root " + root + "): a chain was deleted, an entry dropped or altered, "
              + "or the topic truncated"));
        }
      }
    }
    return List.copyOf(problems);
  }

  /** The chain heads the topic gives for {@code cp}'s input partition as of its time. */
  private Map<String, String> headsAt(AuditCheckpoint cp) {
    Map<String, String> heads = new HashMap<>();
    long at = cp.getCheckpointAt().toEpochMilli();
    chains.forEach((id, chain) -> {
      if (cp.getPartitions() > 0 && AuditChain.partitionOf(id, cp.getPartitions()) != cp.getPartition()) {
        return;
      }
      String head = null;
      for (Link l : chain) {
        if (l.recordedAt() <= at) {
          head = l.hash();
        }
      }
      if (head != null) {
        heads.put(id, head);
      }
    });
    return heads;
  }

  private void checkAnchors(boolean all) {
    Map<Integer, AuditAnchor> latest = new TreeMap<>();
    List<AuditAnchor> checked = new ArrayList<>();
    for (AuditAnchor a : anchors.values()) {
      AuditCheckpoint cp = a.checkpoint();
      if (cp.getKeyId() != null) {
        AuditKeys.Check check = keys.check(cp.getKeyId(), AuditChain.canonical(cp), cp.getMac());
        if (check == AuditKeys.Check.INVALID) {
          problems.add(new Problem(null, a.checkpointPartition(), a.checkpointOffset(), "FORGED_ANCHOR", "the anchor " + a.source()
              + " of input partition " + cp.getPartition() + " at " + cp.getCheckpointAt() + " is not signed by its key " + cp.getKeyId()));
          continue;
        }
        if (check == AuditKeys.Check.NO_KEY && keysRequired) {
          unverifiable.computeIfAbsent(cp.getKeyId(), k -> new Unverifiable(null, a.checkpointPartition(), a.checkpointOffset())).checkpoints++;
          continue;
        }
      }
      if (!inWindow(cp.getCheckpointAt())) {
        continue;
      }
      AuditCheckpoint onTopic = asRead.get(a.checkpointPartition() + "@" + a.checkpointOffset());
      if (onTopic == null) {
        Long end = checkpointTopicEnds.get(a.checkpointPartition());
        boolean truncated = end == null || end <= a.checkpointOffset();
        problems.add(new Problem(null, a.checkpointPartition(), a.checkpointOffset(), truncated ? "TRUNCATED" : "ANCHOR_MISSING",
            truncated ? "the checkpoint topic's partition " + a.checkpointPartition() + " ends at " + (end == null ? "nothing" : end)
                + ", below the checkpoint anchored at offset " + a.checkpointOffset() + " (" + a.source() + "): the topic was truncated"
                : "the checkpoint anchored at offset " + a.checkpointOffset() + " (" + a.source() + ") is not there: the topic was rewritten"));
      } else if (!onTopic.getRoot().equals(cp.getRoot()) || !onTopic.getCheckpointAt().equals(cp.getCheckpointAt())
          || onTopic.getPartition() != cp.getPartition() || onTopic.getChains() != cp.getChains()) {
        problems.add(new Problem(null, a.checkpointPartition(), a.checkpointOffset(), "ANCHOR_MISMATCH", "the checkpoint at offset "
            + a.checkpointOffset() + " is not the one anchored (" + a.source() + "): the topic was rewritten"));
      }
      latest.merge(cp.getPartition(), a, (x, y) -> y.checkpoint().getCheckpointAt().isAfter(x.checkpoint().getCheckpointAt()) ? y : x);
      checked.add(a);
    }
    for (AuditAnchor a : all ? checked : List.copyOf(latest.values())) {
      AuditCheckpoint cp = a.checkpoint();
      Map<String, String> heads = headsAt(cp);
      String root = AuditChain.merkleRoot(heads);
      if (!root.equals(cp.getRoot())) {
        problems.add(new Problem(null, a.checkpointPartition(), a.checkpointOffset(), "ANCHOR_ROOT_MISMATCH", "the checkpoint of input "
            + "partition " + cp.getPartition() + " at " + cp.getCheckpointAt() + " anchored in " + a.source() + " commits to "
            + cp.getChains() + " chains; the audit topic gives " + heads.size() + " (root " + root + "): a chain was deleted, an entry "
            + "dropped or altered, or the topic truncated"));
      }
    }
  }

  public long entries() {
    return entries;
  }

  public int invoices() {
    return chains.size();
  }

  public int checkpoints() {
    return allCheckpoints.size();
  }

  /** Entries in format v3 (keyed); the others are unkeyed (v1, v2). */
  public long keyedEntries() {
    return keyed;
  }

  private void report(AuditEntry e, int partition, long offset, String kind, String message) {
    if ((onlyInvoice == null || onlyInvoice.equals(e.getInvoiceId())) && inWindow(e.getRecordedAt())) {
      problems.add(new Problem(e.getInvoiceId(), partition, offset, kind, message));
    }
  }

  private boolean inWindow(Instant t) {
    return (from == null || !t.isBefore(from)) && (to == null || t.isBefore(to));
  }

  private static Link find(List<Link> chain, String hash) {
    if (hash == null) {
      return null;
    }
    for (Link l : chain) {
      if (l.hash().equals(hash)) {
        return l;
      }
    }
    return null;
  }
}
