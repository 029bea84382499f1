package io.invoicesync.outcomes.audit;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies {@code invoices.audit} the way an auditor would, with nothing but the topic and the
 * documented formula ({@link AuditChain}): every entry's hash is recomputed, every link to its
 * predecessor checked, and each task's latest {@link AuditCheckpoint} compared with the chain heads
 * the topic gives as of its time, so a deleted chain or a truncated topic shows too. Pure: fed the
 * records in offset order per partition, it reports; reading them is the command's job.
 */
public final class AuditVerifier {

  /** One broken, missing or reordered link, or a checkpoint the topic no longer matches. */
  public record Problem(String invoiceId, int partition, long offset, String kind, String message) {
  }

  private record Link(String hash, long recordedAt, int partition, long offset) {
  }

  private record Checkpoint(AuditCheckpoint checkpoint, int partition, long offset) {
  }

  private final Map<String, List<Link>> chains = new LinkedHashMap<>();
  private final Map<Integer, Checkpoint> latestCheckpoints = new HashMap<>();
  private final List<Checkpoint> allCheckpoints = new ArrayList<>();
  private final List<Problem> problems = new ArrayList<>();
  private final String onlyInvoice;
  private final Instant from;
  private final Instant to;
  private long entries;

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

  /** The next entry of a partition, in offset order. */
  public void accept(int partition, long offset, AuditEntry e) {
    entries++;
    List<Link> chain = chains.computeIfAbsent(e.getInvoiceId(), k -> new ArrayList<>());
    String recomputed = AuditChain.hash(e);
    if (!recomputed.equals(e.getHash())) {
      report(e, partition, offset, "ALTERED", "its content does not match its hash (" + e.getEvent() + ", detail " + e.getDetail() + ")");
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
    allCheckpoints.add(c);
    latestCheckpoints.merge(cp.getPartition(), c, (a, b) -> b.checkpoint().getCheckpointAt().isAfter(a.checkpoint().getCheckpointAt()) ? b : a);
  }

  /** Checks the checkpoints ({@code all}: every one, else each task's latest) and returns every problem found. */
  public List<Problem> finish(boolean all) {
    if (onlyInvoice == null) {
      for (Checkpoint c : all ? allCheckpoints : List.copyOf(latestCheckpoints.values())) {
        AuditCheckpoint cp = c.checkpoint();
        if (!inWindow(cp.getCheckpointAt())) {
          continue;
        }
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

  public long entries() {
    return entries;
  }

  public int invoices() {
    return chains.size();
  }

  public int checkpoints() {
    return allCheckpoints.size();
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
