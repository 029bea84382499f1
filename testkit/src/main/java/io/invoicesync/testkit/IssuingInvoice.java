package io.invoicesync.testkit;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An invoice the tests issue by hand into the issuing platform's database, as the platform writes
 * one: its header into {@code issuing.invoice}, then its lines into {@code issuing.invoice_line},
 * numbered from 1 in the order given. Unless told otherwise it is a 数电票 (DIGITAL_GENERAL) from
 * {@value #SELLER_NAME} to {@value #BUYER_NAME}, ISSUED, not red-letter; its issue time and totals
 * must be given. Only what would make the row unwritable is refused: an invoice the pipeline must
 * reject (totals that do not add up, a red one over its blue) is written as given.
 *
 * <pre>{@code
 * c.setAutoCommit(false);
 * IssuingInvoice.digital("inv-1", number).issued(today.atTime(10, 0))
 *     .totals(new BigDecimal("1000.00"), new BigDecimal("130.00"), new BigDecimal("1130.00"))
 *     .line(IssuingInvoice.Line.service(BigDecimal.ONE, new BigDecimal("1000"), new BigDecimal("1000.00"), new BigDecimal("130.00")))
 *     .insert(c);
 * c.commit();
 * }</pre>
 */
public final class IssuingInvoice {

  public static final String SELLER_NAME = "深圳市示例科技有限公司";
  public static final String SELLER_TAX_ID = "91440300MA5ETUPW89";
  public static final String BUYER_NAME = "上海某某贸易有限公司";
  public static final String BUYER_TAX_ID = "91310000MA1FL4XQ3A";

  /** The header's lifecycle status, as the platform's CHECK constraint lists it. */
  public enum Status { ISSUED, VOIDED, RED_FLUSHED, PARTIALLY_RED_FLUSHED }

  private static final String DIGITAL_GENERAL = "DIGITAL_GENERAL";
  private static final String INSERT_HEADER = "INSERT INTO issuing.invoice (id, invoice_number, invoice_type, issue_date, issued_at, "
      + "seller_name, seller_tax_id, buyer_name, buyer_tax_id, total_amount, total_tax, grand_total, status, blue_invoice_number, "
      + "blue_issue_date, red_confirmation_no, red_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String INSERT_LINE = "INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, quantity, "
      + "unit_price, amount, tax_rate, tax_amount, tax_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private final String id;
  private final String number;
  private final String type;
  private LocalDateTime issuedAt;
  private String sellerName = SELLER_NAME;
  private String sellerTaxId = SELLER_TAX_ID;
  private String buyerName = BUYER_NAME;
  private Optional<String> buyerTaxId = Optional.of(BUYER_TAX_ID);
  private Totals totals;
  private Status status = Status.ISSUED;
  private Optional<RedLetter> red = Optional.empty();
  private final List<Line> lines = new ArrayList<>();

  private IssuingInvoice(String id, String number, String type) {
    this.id = requireText(id, "id");
    this.number = requireText(number, "number");
    this.type = type;
  }

  /** A 数电票 (DIGITAL_GENERAL): no invoice code, {@code number} its 20-digit number. */
  public static IssuingInvoice digital(String id, String number) {
    return new IssuingInvoice(id, number, DIGITAL_GENERAL);
  }

  /** Issued at {@code at}: {@code issue_date} is its day, {@code issued_at} the time itself. */
  public IssuingInvoice issued(LocalDateTime at) {
    this.issuedAt = Objects.requireNonNull(at, "issued at");
    return this;
  }

  public IssuingInvoice seller(String name, String taxId) {
    this.sellerName = requireText(name, "seller name");
    this.sellerTaxId = requireText(taxId, "seller tax id");
    return this;
  }

  public IssuingInvoice buyer(String name, String taxId) {
    this.buyerName = requireText(name, "buyer name");
    this.buyerTaxId = Optional.of(requireText(taxId, "buyer tax id"));
    return this;
  }

  /** A buyer without a tax id (a person, say): {@code buyer_tax_id} stays NULL. */
  public IssuingInvoice buyer(String name) {
    this.buyerName = requireText(name, "buyer name");
    this.buyerTaxId = Optional.empty();
    return this;
  }

  /** The header's {@code total_amount}, {@code total_tax} and {@code grand_total}, as given (not checked against the lines). */
  public IssuingInvoice totals(BigDecimal amount, BigDecimal tax, BigDecimal grand) {
    this.totals = new Totals(Objects.requireNonNull(amount, "total amount"), Objects.requireNonNull(tax, "total tax"),
        Objects.requireNonNull(grand, "grand total"));
    return this;
  }

  public IssuingInvoice status(Status status) {
    this.status = Objects.requireNonNull(status, "status");
    return this;
  }

  /**
   * A red-letter invoice against the blue one numbered {@code blueNumber}, issued on
   * {@code blueIssueDate}, under red confirmation {@code confirmationNo}, for {@code reason} (1 to 4,
   * the platform's red_reason codes).
   */
  public IssuingInvoice redOf(String blueNumber, LocalDate blueIssueDate, String confirmationNo, int reason) {
    if (reason < 1 || reason > 4) {
      throw new IllegalArgumentException("red reason must be 1 to 4: " + reason);
    }
    this.red = Optional.of(new RedLetter(requireText(blueNumber, "blue number"), Objects.requireNonNull(blueIssueDate, "blue issue date"),
        requireText(confirmationNo, "red confirmation number"), (short) reason));
    return this;
  }

  /** Adds a line; its {@code line_no} is its place among the lines, from 1. */
  public IssuingInvoice line(Line line) {
    lines.add(Objects.requireNonNull(line, "line"));
    return this;
  }

  public String id() {
    return id;
  }

  public String number() {
    return number;
  }

  /**
   * Writes the header, then the lines, in the transaction open on {@code c}; the caller commits.
   * Refused on a connection in autocommit: a header committed without its lines is not an invoice
   * the platform issues (ingest would capture it alone).
   */
  public void insert(Connection c) throws SQLException {
    if (issuedAt == null) {
      throw new IllegalStateException("invoice " + id + ": issued(at) not given");
    }
    if (totals == null) {
      throw new IllegalStateException("invoice " + id + ": totals(amount, tax, grand) not given");
    }
    if (c.getAutoCommit()) {
      throw new IllegalStateException("invoice " + id + ": header and lines go in one transaction; set autocommit off, commit after");
    }
    try (PreparedStatement header = c.prepareStatement(INSERT_HEADER)) {
      header.setString(1, id);
      header.setString(2, number);
      header.setString(3, type);
      header.setObject(4, issuedAt.toLocalDate());
      header.setObject(5, issuedAt);
      header.setString(6, sellerName);
      header.setString(7, sellerTaxId);
      header.setString(8, buyerName);
      header.setString(9, buyerTaxId.orElse(null));
      header.setBigDecimal(10, totals.amount());
      header.setBigDecimal(11, totals.tax());
      header.setBigDecimal(12, totals.grand());
      header.setString(13, status.name());
      header.setString(14, red.map(RedLetter::blueNumber).orElse(null));
      header.setObject(15, red.map(RedLetter::blueIssueDate).orElse(null), Types.DATE);
      header.setString(16, red.map(RedLetter::confirmationNo).orElse(null));
      header.setObject(17, red.map(RedLetter::reason).orElse(null), Types.SMALLINT);
      header.executeUpdate();
    }
    if (lines.isEmpty()) {
      return;
    }
    try (PreparedStatement line = c.prepareStatement(INSERT_LINE)) {
      for (int i = 0; i < lines.size(); i++) {
        Line l = lines.get(i);
        line.setString(1, id);
        line.setInt(2, i + 1);
        line.setString(3, l.itemName());
        line.setString(4, l.unit().orElse(null));
        line.setBigDecimal(5, l.quantity());
        line.setBigDecimal(6, l.unitPrice());
        line.setBigDecimal(7, l.amount());
        line.setBigDecimal(8, l.taxRate());
        line.setBigDecimal(9, l.taxAmount());
        line.setString(10, l.taxCode());
        line.addBatch();
      }
      line.executeBatch();
    }
  }

  /**
   * One line of an invoice; {@code unit} empty leaves the column NULL.
   */
  public record Line(String itemName, Optional<String> unit, BigDecimal quantity, BigDecimal unitPrice, BigDecimal amount,
                     BigDecimal taxRate, BigDecimal taxAmount, String taxCode) {

    public static final String SERVICE_ITEM = "*信息技术服务*软件维护";
    public static final String SERVICE_UNIT = "次";
    public static final BigDecimal SERVICE_TAX_RATE = new BigDecimal("0.13");
    public static final String SERVICE_TAX_CODE = "3040201010000000000";

    public Line {
      requireText(itemName, "item name");
      Objects.requireNonNull(unit, "unit (Optional.empty() for none)");
      Objects.requireNonNull(quantity, "quantity");
      Objects.requireNonNull(unitPrice, "unit price");
      Objects.requireNonNull(amount, "amount");
      Objects.requireNonNull(taxRate, "tax rate");
      Objects.requireNonNull(taxAmount, "tax amount");
      requireText(taxCode, "tax code");
    }

    /** The tests' usual line: software maintenance ({@value #SERVICE_ITEM}, per {@value #SERVICE_UNIT}) at 13%. */
    public static Line service(BigDecimal quantity, BigDecimal unitPrice, BigDecimal amount, BigDecimal taxAmount) {
      return new Line(SERVICE_ITEM, Optional.of(SERVICE_UNIT), quantity, unitPrice, amount, SERVICE_TAX_RATE, taxAmount, SERVICE_TAX_CODE);
    }

    /** The same line under another item name. */
    public Line item(String name) {
      return new Line(name, unit, quantity, unitPrice, amount, taxRate, taxAmount, taxCode);
    }

    /** The same line without a unit. */
    public Line withoutUnit() {
      return new Line(itemName, Optional.empty(), quantity, unitPrice, amount, taxRate, taxAmount, taxCode);
    }
  }

  private record Totals(BigDecimal amount, BigDecimal tax, BigDecimal grand) {
  }

  private record RedLetter(String blueNumber, LocalDate blueIssueDate, String confirmationNo, short reason) {
  }

  private static String requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank: " + value);
    }
    return value;
  }
}
