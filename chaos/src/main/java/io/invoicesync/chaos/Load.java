package io.invoicesync.chaos;

import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.generator.IssuingSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The steady load a scenario runs under: the demo's generator (valid and invalid invoices, voids and
 * red-letter flushes) at a fixed rate against the issuing database. When the issuing database goes
 * away the generator's thread ends; {@link #resume} starts a new one once it is back. Every
 * generator's ledger is kept, for the judge.
 */
final class Load {

  private final String issuingUrl;
  private final String prefix;
  private final double rate;
  private final List<InvoiceGenerator> generators = new ArrayList<>();
  private final Map<String, InvoiceGenerator.Issued> canaries = new ConcurrentHashMap<>();
  private AtomicBoolean stop = new AtomicBoolean();
  private List<Thread> threads = List.of();

  private final List<IssuingSchema> schemas;

  Load(String issuingUrl, String prefix, double rate) {
    this(issuingUrl, prefix, rate, List.of(IssuingSchema.REFERENCE));
  }

  /** Issuing into each of {@code schemas}' tables (several sources), the rate shared between them. */
  Load(String issuingUrl, String prefix, double rate, List<IssuingSchema> schemas) {
    this.issuingUrl = issuingUrl;
    this.prefix = prefix;
    this.rate = rate;
    this.schemas = List.copyOf(schemas);
  }

  synchronized void start() {
    stop = new AtomicBoolean();
    List<Thread> started = new ArrayList<>();
    for (IssuingSchema schema : schemas) {
      InvoiceGenerator g = new InvoiceGenerator(issuingUrl, prefix + generators.size() + "-", 42 + generators.size(), true, schema);
      generators.add(g);
      started.addAll(g.startAtRate(rate / schemas.size(), 1, stop::get));
    }
    threads = started;
  }

  /** After an outage of the issuing database: stops what is left and starts a fresh generator. */
  synchronized void resume() throws InterruptedException {
    stopNow();
    start();
  }

  synchronized void stopNow() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(30).toMillis());
    }
  }

  /** Invoices a scenario issued itself, valid: the judge counts a rejection of one as spurious. */
  void issuedValid(String id, String type, String number) {
    canaries.put(id, new InvoiceGenerator.Issued(id, type, null, number, true, false, null));
  }

  /** Invoices a scenario issued broken on purpose: the judge wants each one rejected (or dead-lettered) with its reasons. */
  void issuedPoison(String id) {
    canaries.put(id, new InvoiceGenerator.Issued(id, "POISON", null, null, false, false, null));
  }

  /** Whether a generator thread is still issuing (false: it died, or was stopped). */
  synchronized boolean alive() {
    return threads.stream().anyMatch(Thread::isAlive);
  }

  long issued() {
    return generators.stream().mapToLong(InvoiceGenerator::issuedCount).sum() + canaries.size();
  }

  Map<String, InvoiceGenerator.Issued> ledger() {
    Map<String, InvoiceGenerator.Issued> all = new ConcurrentHashMap<>(canaries);
    generators.forEach(g -> all.putAll(g.ledger()));
    return all;
  }
}
