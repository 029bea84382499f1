package io.invoicesync.streams.internal;

import io.invoicesync.streams.internal.avro.RedLedgerEntry;
import io.invoicesync.streams.internal.avro.RedLedgerMessage;
import io.invoicesync.streams.internal.avro.RedVerdict;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The red-letter ledger, keyed by a blue invoice's printed identity ({@code code|number}). It
 * learns each blue invoice's totals and status as they are synced, and answers each red invoice
 * that references one: {@code RED_ORIGINAL_VOIDED} when the blue one was voided,
 * {@code RED_EXCEEDS_BLUE} when this red invoice's amounts added to the red invoices accepted
 * before would exceed the blue totals, OK otherwise. A red invoice whose blue one is unknown waits
 * until its deadline; a wall-clock punctuator then answers {@code RED_ORIGINAL_MISSING}.
 */
public final class RedLetterLedger implements Processor<String, RedLedgerMessage, String, RedVerdict> {

  public static final String ORIGINAL_MISSING = "RED_ORIGINAL_MISSING";
  public static final String EXCEEDS_BLUE = "RED_EXCEEDS_BLUE";
  public static final String ORIGINAL_VOIDED = "RED_ORIGINAL_VOIDED";

  private final String ledgerStoreName;
  private final String deadlineStoreName;
  private final Duration checkInterval;
  private final EarlyCommits earlyCommits;
  private ProcessorContext<String, RedVerdict> context;
  private KeyValueStore<String, RedLedgerEntry> ledger;
  private KeyValueStore<String, String> deadlines;

  public RedLetterLedger(String ledgerStoreName, String deadlineStoreName, Duration checkInterval, EarlyCommits earlyCommits) {
    this.earlyCommits = earlyCommits;
    this.ledgerStoreName = ledgerStoreName;
    this.deadlineStoreName = deadlineStoreName;
    this.checkInterval = checkInterval;
  }

  @Override
  public void init(ProcessorContext<String, RedVerdict> context) {
    this.context = context;
    this.ledger = context.getStateStore(ledgerStoreName);
    this.deadlines = context.getStateStore(deadlineStoreName);
    context.schedule(checkInterval, PunctuationType.WALL_CLOCK_TIME, this::expire);
  }

  @Override
  public void process(Record<String, RedLedgerMessage> record) {
    String blueKey = record.key();
    RedLedgerMessage m = record.value();
    RedLedgerEntry entry = ledger.get(blueKey);
    if (entry == null) {
      entry = RedLedgerEntry.newBuilder().setBlueAmount(zero()).setBlueTax(zero()).setRedAmount(zero()).setRedTax(zero())
          .setAcceptedReds(new ArrayList<>()).setPending(new ArrayList<>()).build();
    }
    if ("BLUE".equals(m.getKind())) {
      entry.setBlueId(m.getInvoiceId());
      entry.setBlueAmount(m.getTotalAmount());
      entry.setBlueTax(m.getTotalTax());
      entry.setBlueStatus(m.getStatus());
      List<RedLedgerMessage> waiting = new ArrayList<>(entry.getPending());
      entry.setPending(new ArrayList<>());
      for (RedLedgerMessage red : waiting) {
        deadlines.delete(deadlineKey(red));
        answer(red, evaluate(entry, red), record.timestamp());
      }
    } else if (entry.getBlueId() == null) {
      List<RedLedgerMessage> pending = new ArrayList<>(entry.getPending());
      pending.removeIf(p -> p.getInvoiceId().equals(m.getInvoiceId()));
      pending.add(m);
      entry.setPending(pending);
      deadlines.put(deadlineKey(m), blueKey);
    } else {
      answer(m, evaluate(entry, m), record.timestamp());
    }
    ledger.put(blueKey, entry);
  }

  /** Checks a red invoice against its blue one and, when it passes, counts it. */
  static RedVerdict evaluate(RedLedgerEntry entry, RedLedgerMessage red) {
    RedVerdict.Builder v = RedVerdict.newBuilder().setLsn(red.getLsn());
    if (entry.getAcceptedReds().contains(red.getInvoiceId())) {
      return v.setOk(true).build(); // already counted: a replayed check
    }
    if ("VOIDED".equals(entry.getBlueStatus())) {
      return v.setOk(false).setCode(ORIGINAL_VOIDED).setField("redLetter.blueInvoiceNumber").setValue(entry.getBlueId())
          .setExpected("a blue invoice that is not voided").setMessage("the blue invoice " + entry.getBlueId() + " was voided").build();
    }
    BigDecimal amount = entry.getRedAmount().add(red.getTotalAmount().abs());
    BigDecimal tax = entry.getRedTax().add(red.getTotalTax().abs());
    if (amount.compareTo(entry.getBlueAmount().abs()) > 0) {
      return exceeds(v, "totalAmount", red.getTotalAmount(), entry.getBlueAmount().abs().subtract(entry.getRedAmount()), entry);
    }
    if (tax.compareTo(entry.getBlueTax().abs()) > 0) {
      return exceeds(v, "totalTax", red.getTotalTax(), entry.getBlueTax().abs().subtract(entry.getRedTax()), entry);
    }
    entry.setRedAmount(amount);
    entry.setRedTax(tax);
    List<String> accepted = new ArrayList<>(entry.getAcceptedReds());
    accepted.add(red.getInvoiceId());
    entry.setAcceptedReds(accepted);
    return v.setOk(true).build();
  }

  private static RedVerdict exceeds(RedVerdict.Builder v, String field, BigDecimal value, BigDecimal remaining, RedLedgerEntry entry) {
    return v.setOk(false).setCode(EXCEEDS_BLUE).setField(field).setValue(value.toPlainString())
        .setExpected("at most " + remaining.negate().toPlainString() + " (what remains of blue invoice " + entry.getBlueId() + ")")
        .setMessage("red invoices of blue invoice " + entry.getBlueId() + " would exceed its " + field).build();
  }

  private void expire(long now) {
    List<KeyValue<String, String>> due = new ArrayList<>();
    try (KeyValueIterator<String, String> it = deadlines.range(String.format("%019d", 0), String.format("%019d|~", now))) {
      it.forEachRemaining(due::add);
    }
    for (KeyValue<String, String> d : due) {
      deadlines.delete(d.key);
      RedLedgerEntry entry = ledger.get(d.value);
      if (entry == null) {
        continue;
      }
      String redId = d.key.substring(20);
      List<RedLedgerMessage> pending = new ArrayList<>(entry.getPending());
      RedLedgerMessage red = pending.stream().filter(p -> p.getInvoiceId().equals(redId)).findFirst().orElse(null);
      if (red == null) {
        continue;
      }
      pending.remove(red);
      entry.setPending(pending);
      ledger.put(d.value, entry);
      answer(red, RedVerdict.newBuilder().setLsn(red.getLsn()).setOk(false).setCode(ORIGINAL_MISSING)
          .setField("redLetter.blueInvoiceNumber").setValue(d.value).setExpected("a synced blue invoice with this code|number")
          .setMessage("the blue invoice " + d.value + " did not arrive within the waiting time").build(), now);
    }
  }

  /** @param timestamp of the record (or punctuation) that decided: whether the red invoice's task is kept waiting now */
  private void answer(RedLedgerMessage red, RedVerdict verdict, long timestamp) {
    context.forward(new Record<>(red.getInvoiceId(), verdict, context.currentSystemTimeMs()));
    earlyCommits.request(context, timestamp); // the red invoice's task reads the verdict once this transaction commits
  }

  private static String deadlineKey(RedLedgerMessage red) {
    return String.format("%019d", red.getDeadline()) + "|" + red.getInvoiceId();
  }

  private static BigDecimal zero() {
    return BigDecimal.ZERO.setScale(2);
  }
}
