package io.invoicesync.generator;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Where the generator issues invoices: our reference schema ({@code issuing.invoice}), or a
 * tax-control system's own tables ({@code skj.fp_kj}, {@code skj.fp_mx}: ingest's example
 * {@code mapping/examples/pinyin.sql}, captured through {@code pinyin.yaml}), written as such a
 * system writes them: pinyin columns, the code and number as the key, dates and times as text, the
 * header's amount as text with separators and its tax in fen, rates as percent strings, status codes.
 */
public enum IssuingSchema {

  REFERENCE {
    @Override
    String id(String internalId, String code, String number) {
      return internalId;
    }

    @Override
    void insert(Connection c, Header h, List<Object[]> lines) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO issuing.invoice (id, invoice_code, invoice_number, invoice_type, issue_date, "
          + "issued_at, seller_name, seller_tax_id, buyer_name, buyer_tax_id, total_amount, total_tax, grand_total, status, blue_invoice_id, "
          + "blue_invoice_code, blue_invoice_number, blue_issue_date, red_confirmation_no, red_reason) "
          + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'ISSUED',?,?,?,?,?,?)")) {
        int i = 1;
        ps.setString(i++, h.id());
        ps.setString(i++, h.code());
        ps.setString(i++, h.number());
        ps.setString(i++, h.type());
        ps.setObject(i++, h.issuedAt().toLocalDate());
        ps.setTimestamp(i++, Timestamp.valueOf(h.issuedAt()));
        ps.setString(i++, h.sellerName());
        ps.setString(i++, h.sellerTaxId());
        ps.setString(i++, h.buyerName());
        ps.setString(i++, h.buyerTaxId());
        ps.setBigDecimal(i++, h.totalAmount());
        ps.setBigDecimal(i++, h.totalTax());
        ps.setBigDecimal(i++, h.grandTotal());
        ps.setString(i++, h.blueId());
        ps.setString(i++, h.blueCode());
        ps.setString(i++, h.blueNumber());
        ps.setObject(i++, h.blueIssueDate());
        ps.setString(i++, h.redConfirmationNo());
        ps.setObject(i, h.blueId() == null ? null : 2, Types.SMALLINT);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, quantity, "
          + "unit_price, amount, tax_rate, tax_amount, tax_code) VALUES (?,?,?,'项',?,?,?,?,?,'3040201010000000000')")) {
        for (Object[] l : lines) {
          ps.setString(1, h.id());
          ps.setInt(2, (Integer) l[0]);
          ps.setString(3, (String) l[1]);
          ps.setBigDecimal(4, (BigDecimal) l[2]);
          ps.setBigDecimal(5, (BigDecimal) l[3]);
          ps.setBigDecimal(6, (BigDecimal) l[4]);
          ps.setBigDecimal(7, (BigDecimal) l[5]);
          ps.setBigDecimal(8, (BigDecimal) l[6]);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }

    @Override
    int setStatus(Connection c, String id, String code, String number, String status, boolean onlyIfIssued) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("UPDATE issuing.invoice SET status = ? WHERE id = ?" + (onlyIfIssued ? " AND status = 'ISSUED'" : ""))) {
        ps.setString(1, status);
        ps.setString(2, id);
        return ps.executeUpdate();
      }
    }
  },

  PINYIN {
    private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    @Override
    String id(String internalId, String code, String number) {
      return code == null ? number : code + "-" + number; // the mapping's id: concat of fpdm and fphm, an empty fpdm left out
    }

    @Override
    void insert(Connection c, Header h, List<Object[]> lines) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO skj.fp_kj (fpdm, fphm, fplx, kprq, kpsj, xfsh, xfmc, gfsh, gfmc, hjje, hjse, "
          + "jshj, kplx, fpzt, yfp_dm, yfp_hm, bz, hzqrdbh, chyy, yfp_kprq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'0',?,?,NULL,?,?,?)")) {
        int i = 1;
        ps.setString(i++, h.code() == null ? "" : h.code()); // a tax-control system writes '' rather than NULL
        ps.setString(i++, h.number());
        ps.setString(i++, code(h.type()));
        ps.setString(i++, h.issuedAt().format(DAY));
        ps.setString(i++, h.issuedAt().format(TIME));
        ps.setString(i++, h.sellerTaxId());
        ps.setString(i++, h.sellerName());
        ps.setString(i++, h.buyerTaxId() == null ? "" : h.buyerTaxId());
        ps.setString(i++, h.buyerName());
        ps.setString(i++, String.format(Locale.ROOT, "%,.2f", h.totalAmount()));
        ps.setLong(i++, h.totalTax().movePointRight(2).setScale(0, RoundingMode.UNNECESSARY).longValueExact());
        ps.setBigDecimal(i++, h.grandTotal());
        ps.setString(i++, h.blueId() == null ? "0" : "1");
        ps.setString(i++, h.blueId() == null ? null : h.blueCode() == null ? "" : h.blueCode());
        ps.setString(i++, h.blueNumber());
        ps.setString(i++, h.redConfirmationNo());
        ps.setString(i++, h.blueId() == null ? null : "2");
        ps.setString(i, h.blueIssueDate() == null ? null : h.blueIssueDate().format(DAY));
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO skj.fp_mx (fpdm, fphm, xh, spmc, ggxh, dw, spsl, spdj, spje, sl, se, spbm) "
          + "VALUES (?,?,?,?,'','项',?,?,?,?,?,'3040201010000000000')")) {
        for (Object[] l : lines) {
          ps.setString(1, h.code() == null ? "" : h.code());
          ps.setString(2, h.number());
          ps.setInt(3, (Integer) l[0]);
          ps.setString(4, (String) l[1]);
          ps.setBigDecimal(5, (BigDecimal) l[2]);
          ps.setBigDecimal(6, (BigDecimal) l[3]);
          ps.setBigDecimal(7, (BigDecimal) l[4]);
          ps.setString(8, ((BigDecimal) l[5]).movePointRight(2).stripTrailingZeros().toPlainString() + "%");
          ps.setBigDecimal(9, (BigDecimal) l[6]);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }

    @Override
    int setStatus(Connection c, String id, String code, String number, String status, boolean onlyIfIssued) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("UPDATE skj.fp_kj SET fpzt = ?, gxsj = now() WHERE fpdm = ? AND fphm = ?"
          + (onlyIfIssued ? " AND fpzt = '0'" : ""))) {
        ps.setString(1, switch (status) {
          case "VOIDED" -> "1";
          case "RED_FLUSHED" -> "2";
          case "PARTIALLY_RED_FLUSHED" -> "3";
          default -> "0";
        });
        ps.setString(2, code == null ? "" : code);
        ps.setString(3, number);
        return ps.executeUpdate();
      }
    }

    /** 发票类型 codes as tax-control systems write them (pinyin.yaml maps them back). */
    private String code(String type) {
      return switch (type) {
        case "DIGITAL_SPECIAL" -> "81";
        case "DIGITAL_GENERAL" -> "82";
        case "SPECIAL_PAPER" -> "01";
        case "GENERAL_PAPER" -> "04";
        case "SPECIAL_ELECTRONIC" -> "08";
        case "GENERAL_ELECTRONIC" -> "10";
        default -> throw new IllegalArgumentException("no 发票类型 code for " + type);
      };
    }
  };

  /** One invoice's header as the generator made it; {@code id} is the pipeline's id for it ({@link #id}). */
  record Header(String id, String code, String number, String type, LocalDateTime issuedAt, String sellerName, String sellerTaxId,
                String buyerName, String buyerTaxId, BigDecimal totalAmount, BigDecimal totalTax, BigDecimal grandTotal, String blueId,
                String blueCode, String blueNumber, LocalDate blueIssueDate, String redConfirmationNo) {
  }

  /** The id the pipeline gives an invoice issued here (the reference schema's own id column, or the mapping's). */
  abstract String id(String internalId, String code, String number);

  /** Header and lines, in the caller's transaction; the lines are {lineNo, item, quantity, price, amount, rate, tax}. */
  abstract void insert(Connection c, Header h, List<Object[]> lines) throws SQLException;

  /** Sets an invoice's status; returns the rows changed. */
  abstract int setStatus(Connection c, String id, String code, String number, String status, boolean onlyIfIssued) throws SQLException;

  /** By name, as {@code demo --mapping} spells it: {@code reference} or {@code pinyin}. */
  public static IssuingSchema of(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "reference" -> REFERENCE;
      case "pinyin" -> PINYIN;
      default -> throw new IllegalArgumentException("no issuing schema '" + name + "': reference or pinyin");
    };
  }
}
