package io.invoicesync.ingest.internal;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import java.util.List;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one huge invoice from stopping ingest: a change larger than {@code ingest.max.change.bytes}
 * serialized cannot be published (Kafka refuses it, and ingest, which may not skip it, would stop
 * with every later invoice waiting behind it). Such a change goes out without its lines, saying how
 * many and how large, and sync-streams rejects it as CHANGE_TOO_LARGE: the invoice is answered for,
 * and everything else keeps flowing. Only changes with many lines are measured (serialized once more).
 */
public final class OversizeGuard {

  private static final Logger log = LoggerFactory.getLogger(OversizeGuard.class);
  /** A line takes about 100 bytes serialized; below {@code max / 4096} lines a change cannot reach the limit. */
  private static final int BYTES_PER_LINE_BOUND = 4096;

  private final Serializer<InvoiceChange> serializer;
  private final String topic;
  private final int maxBytes;

  public OversizeGuard(Serializer<InvoiceChange> serializer, String topic, int maxBytes) {
    this.serializer = serializer;
    this.topic = topic;
    this.maxBytes = maxBytes;
  }

  /** {@code change} itself when it fits, else the same change without its lines, saying why. */
  public InvoiceChange guard(InvoiceChange change) {
    Invoice after = change.getAfter();
    if (after == null || after.getLines().size() < maxBytes / BYTES_PER_LINE_BOUND) {
      return change;
    }
    int size = serializer.serialize(topic, change).length;
    if (size <= maxBytes) {
      return change;
    }
    String why = after.getLines().size() + " lines, " + size + " bytes serialized; ingest.max.change.bytes is " + maxBytes;
    log.warn("invoice {}: change of {} is larger than ingest.max.change.bytes; published without its lines, to be rejected as "
        + "CHANGE_TOO_LARGE (raise ingest.max.change.bytes, up to a third of the topics' max.message.bytes, and resync it)", change.getInvoiceId(),
        why);
    return InvoiceChange.newBuilder(change).setAfter(Invoice.newBuilder(after).setLines(List.of()).build()).setLinesIncluded(false)
        .setLinesOmitted(why).build();
  }
}
