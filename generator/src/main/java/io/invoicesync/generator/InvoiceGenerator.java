package io.invoicesync.generator;

import io.invoicesync.schemas.TaxIds;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the issuing platform: issues invoices into the issuing database, each issue one
 * transaction, with a realistic mix - valid invoices of both generations (about 80%), invalid
 * ones (about 5%, one field wrong), status changes (void or partial red-flush, about 10%) and
 * red-letter invoices that reverse a blue one and flush it in the same transaction (about 5%).
 * Keeps a ledger of what it issued and whether it should pass validation.
 */
public final class InvoiceGenerator {

  private static final Logger log = LoggerFactory.getLogger(InvoiceGenerator.class);
  private static final ZoneId CHINA = ZoneId.of("Asia/Shanghai");
  private static final String ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  private static final String[] REGIONS = {"110108", "310115", "440300", "330106", "320000", "510100", "350100"};
  private static final String[] RATES = {"0.13", "0.13", "0.13", "0.09", "0.06", "0.06", "0.03", "0.01"};
  private static final String[] ITEMS = {"*信息技术服务*软件维护", "*电子计算机*笔记本电脑", "*现代服务*咨询服务", "*办公用品*打印纸",
      "*运输服务*国内运输", "*餐饮服务*餐费", "*建筑服务*工程款", "*电力*电费"};
  private static final String[] TYPES = {"DIGITAL_GENERAL", "DIGITAL_SPECIAL", "DIGITAL_GENERAL", "SPECIAL_PAPER", "GENERAL_PAPER",
      "SPECIAL_ELECTRONIC", "GENERAL_ELECTRONIC"};

  /** What the generator knows about an invoice it issued. */
  /**
   * @param expectedRule for an invalid invoice the generator broke on purpose, the rule code its rejection must carry; else null
   */
  public record Issued(String id, String type, String code, String number, boolean valid, boolean red, String expectedRule) {
  }

  private final String jdbcUrl;
  private final IssuingSchema schema;
  private final String idPrefix;
  private final AtomicLong sequence;
  private final AtomicLong issued = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final Map<String, Issued> ledger = new ConcurrentHashMap<>();
  private final boolean keepLedger;
  /** Valid blue invoices that may still be voided or red-flushed, with their lines (bounded). */
  private final List<Blue> openForStatusChange = new ArrayList<>();

  private record Blue(String id, String type, String code, String number, List<Object[]> lines) {
  }
  private final List<String> sellers = new ArrayList<>();
  private final long seed;
  private final AtomicLong workers = new AtomicLong();
  /**
   * Each worker thread draws from its own Random, seeded from the generator's seed and the worker's
   * number: the same seed gives the same mix, parties and amounts (ids and numbers come from a
   * sequence that starts at the clock, so a resumed demo never reuses one).
   */
  private final ThreadLocal<Random> random;
  private final List<String> buyers = new ArrayList<>();

  /**
   * @param keepLedger remember every issued invoice (for tests that check each one); off for long
   *                   demo runs, where it would grow without bound
   */
  public InvoiceGenerator(String jdbcUrl, String idPrefix, long seed, boolean keepLedger) {
    this(jdbcUrl, idPrefix, seed, keepLedger, IssuingSchema.REFERENCE);
  }

  /** Issuing into {@code schema}'s tables: the reference schema, or a tax-control system's own ({@link IssuingSchema#PINYIN}). */
  public InvoiceGenerator(String jdbcUrl, String idPrefix, long seed, boolean keepLedger, IssuingSchema schema) {
    this.jdbcUrl = jdbcUrl;
    this.schema = schema;
    this.keepLedger = keepLedger;
    this.idPrefix = idPrefix;
    this.sequence = new AtomicLong(System.currentTimeMillis() % 1_000_000_000L * 1000);
    this.seed = seed;
    this.random = ThreadLocal.withInitial(() -> new Random(this.seed * 31 + workers.incrementAndGet()));
    Random r = new Random(seed);
    for (int i = 0; i < 50; i++) {
      sellers.add(uscc(r));
      buyers.add(uscc(r));
    }
  }

  /** A valid USCC: region, organisation code, check character per GB 32100-2015. */
  static String uscc(Random r) {
    StringBuilder s = new StringBuilder("91").append(REGIONS[r.nextInt(REGIONS.length)]);
    for (int i = 0; i < 9; i++) {
      s.append(ALPHA.charAt(r.nextInt(i < 8 ? 10 : ALPHA.length())));
    }
    return s.append(TaxIds.usccCheckChar(s.toString())).toString();
  }

  public long issuedCount() {
    return issued.get();
  }

  /** Issuing events the database refused (each rolled back and logged); the generator goes on. */
  public long failureCount() {
    return failures.get();
  }

  public long eventCount() {
    return events.get();
  }

  public Map<String, Issued> ledger() {
    return ledger;
  }

  /** Opens a connection for one worker thread. */
  public Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(jdbcUrl);
    c.setAutoCommit(false);
    return c;
  }

  /** One issuing event, in its own transaction, chosen by the mix. */
  public void next(Connection c) throws SQLException {
    Random r = random.get();
    int dice = r.nextInt(100);
    Blue target = dice >= 80 ? pickOpen(r) : null;
    if (dice < 75 || target == null) {
      issue(c, r, dice >= 75 && dice < 80, null);
    } else if (dice < 90) {
      String status = target.type().endsWith("_PAPER") ? "VOIDED" : "PARTIALLY_RED_FLUSHED";
      schema.setStatus(c, target.id(), target.code(), target.number(), status, true);
    } else {
      issue(c, r, false, target);
    }
    c.commit();
    events.incrementAndGet();
  }

  private synchronized Blue pickOpen(Random r) {
    if (openForStatusChange.isEmpty()) {
      return null;
    }
    return openForStatusChange.remove(r.nextInt(openForStatusChange.size()));
  }

  private synchronized void remember(Issued inv, List<Object[]> lines) {
    if (keepLedger) {
      ledger.put(inv.id(), inv);
    }
    if (inv.valid() && !inv.red()) {
      openForStatusChange.add(new Blue(inv.id(), inv.type(), inv.code(), inv.number(), lines));
      if (openForStatusChange.size() > 10_000) {
        openForStatusChange.remove(0);
      }
    }
  }

  private void issue(Connection c, Random r, boolean corrupt, Blue blue) throws SQLException {
    String blueId = blue == null ? null : blue.id();
    long seq = sequence.incrementAndGet();
    LocalDateTime now = LocalDateTime.now(CHINA);
    LocalDate today = now.toLocalDate();
    String yy = String.format("%02d", today.getYear() % 100);
    String type = blue != null ? blue.type() : TYPES[r.nextInt(TYPES.length)];
    boolean digital = type.startsWith("DIGITAL_");
    boolean special = type.contains("SPECIAL");
    String code = null;
    String number;
    if (digital) {
      number = yy + "44" + "2" + String.format("%015d", seq % 1_000_000_000_000_000L);
    } else {
      char kind = special ? '1' : '3';
      code = "4403" + yy + "1" + kind + String.format("%02d", seq % 100);
      number = String.format("%08d", seq % 100_000_000L);
    }
    String id = schema.id(idPrefix + seq, code, number);
    List<Object[]> lines = new ArrayList<>();
    BigDecimal totalAmount = BigDecimal.ZERO.setScale(2);
    BigDecimal totalTax = BigDecimal.ZERO.setScale(2);
    boolean fullReversal = blue == null || blue.lines().size() == 1 || r.nextBoolean();
    if (blue != null) {
      // a red invoice reverses its blue one: all its lines, or (partial red-flush) the first one
      int reversed = fullReversal ? blue.lines().size() : 1;
      for (int i = 0; i < reversed; i++) {
        Object[] b = blue.lines().get(i);
        BigDecimal amount = ((BigDecimal) b[4]).negate();
        BigDecimal tax = ((BigDecimal) b[6]).negate();
        lines.add(new Object[] {i + 1, b[1], ((BigDecimal) b[2]).negate(), b[3], amount, b[5], tax});
        totalAmount = totalAmount.add(amount);
        totalTax = totalTax.add(tax);
      }
    } else {
      int lineCount = 1 + r.nextInt(5); // 1..5, three on average
      for (int i = 1; i <= lineCount; i++) {
        BigDecimal qty = new BigDecimal(1 + r.nextInt(20));
        BigDecimal price = new BigDecimal(1000 + r.nextInt(500_000)).movePointLeft(2);
        BigDecimal amount = qty.multiply(price).setScale(2, RoundingMode.HALF_UP);
        BigDecimal rate = new BigDecimal(RATES[r.nextInt(RATES.length)]);
        BigDecimal tax = amount.multiply(rate).setScale(2, RoundingMode.HALF_UP);
        lines.add(new Object[] {i, ITEMS[r.nextInt(ITEMS.length)], qty, price, amount, rate, tax});
        totalAmount = totalAmount.add(amount);
        totalTax = totalTax.add(tax);
      }
    }
    String seller = sellers.get(r.nextInt(sellers.size()));
    String buyer = special || r.nextBoolean() ? buyers.get(r.nextInt(buyers.size())) : null;
    BigDecimal grand = totalAmount.add(totalTax);
    String expectedRule = null;
    if (corrupt) {
      switch (r.nextInt(4)) {
        case 0 -> {
          seller = seller.substring(0, 17) + (seller.charAt(17) == '0' ? '1' : '0');
          expectedRule = "SELLER_TAX_ID_CHECKSUM";
        }
        case 1 -> {
          totalTax = totalTax.add(new BigDecimal("0.05"));
          expectedRule = "TOTAL_TAX_MISMATCH";
        }
        case 2 -> {
          grand = grand.add(new BigDecimal("1.00"));
          expectedRule = "GRAND_TOTAL_MISMATCH";
        }
        default -> {
          lines.get(0)[5] = new BigDecimal("0.17"); // 17% was abolished in 2018
          expectedRule = "TAX_RATE_INVALID";
        }
      }
    }
    schema.insert(c, new IssuingSchema.Header(id, code, number, type, now, "示例销售方" + seller.substring(8, 12) + "有限公司", seller,
        buyer == null ? "个人" : "示例购买方" + buyer.substring(8, 12) + "有限公司", buyer, totalAmount, totalTax, grand, blueId,
        blue == null ? null : blue.code(), blue == null ? null : blue.number(), blueId == null ? null : today,
        blueId == null ? null : "RC" + seq), lines);
    if (blueId != null) {
      schema.setStatus(c, blueId, blue.code(), blue.number(), fullReversal ? "RED_FLUSHED" : "PARTIALLY_RED_FLUSHED", false);
    }
    issued.incrementAndGet();
    remember(new Issued(id, type, code, number, !corrupt, blueId != null, expectedRule), lines);
  }

  /** Issues {@code count} events on this thread. */
  public void issue(int count) throws SQLException {
    try (Connection c = connect()) {
      for (int i = 0; i < count; i++) {
        next(c);
      }
    }
  }

  /**
   * Issues at {@code ratePerSecond} until {@code stop} says so, on {@code threads} threads.
   * Falls behind (and says so in the progress line) rather than bursting when the database is slower.
   */
  public List<Thread> startAtRate(double ratePerSecond, int threads, BooleanSupplier stop) {
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    AtomicLong granted = new AtomicLong();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try (Connection c = connect()) {
          while (!stop.getAsBoolean()) {
            double due = (System.nanoTime() - start) / 1e9 * ratePerSecond;
            if (granted.get() < due) {
              granted.incrementAndGet();
              try {
                next(c);
              } catch (SQLException e) {
                c.rollback();
                if (failures.incrementAndGet() <= 10) {
                  log.warn("issuing event failed and was rolled back: {}", e.getMessage());
                }
              }
            } else {
              long waitNanos = (long) ((granted.get() + 1 - due) / ratePerSecond * 1e9);
              LockSupport.parkNanos(Math.min(waitNanos, 50_000_000L)); // pacing, not a condition wait
            }
          }
        } catch (SQLException e) {
          log.error("invoice generator stopped: {}", e.getMessage(), e);
        }
      }, "invoice-generator-" + t);
      w.setDaemon(true);
      w.start();
      workers.add(w);
    }
    return workers;
  }
}
