package io.invoicesync.imports;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The columns of the tax platform's query export (全量发票查询导出) and of CSV files in its layout, with
 * the header names each is known by. Headers match tolerantly: full-width and half-width forms alike,
 * spaces, a required-field star and a bracketed unit (金额(元)) ignored.
 */
enum ExportColumn {
  CODE("发票代码"),
  NUMBER("发票号码"),
  DIGITAL_NUMBER("数电发票号码", "数电票号码", "全电发票号码", "数电号码"),
  SELLER_TAX_ID("销方识别号", "销方纳税人识别号", "销售方识别号", "销售方纳税人识别号", "销方税号", "销售方税号"),
  SELLER_NAME("销方名称", "销售方名称"),
  BUYER_TAX_ID("购方识别号", "购方纳税人识别号", "购买方识别号", "购买方纳税人识别号", "购方税号", "购买方税号"),
  BUYER_NAME("购买方名称", "购方名称"),
  ISSUE_DATE("开票日期", "开票时间"),
  AMOUNT("金额", "合计金额", "不含税金额"),
  TAX("税额", "合计税额"),
  TOTAL("价税合计", "价税合计金额"),
  KIND("发票票种", "票种", "发票种类"),
  STATUS("发票状态"),
  POSITIVE("是否正数发票", "是否正数"),
  RISK("发票风险等级"),
  REMARK("备注"),
  // the detail sheet's lines
  TAX_CODE("税收分类编码", "税收编码", "商品和服务税收分类编码"),
  ITEM("货物或应税劳务名称", "货物或应税劳务、服务名称", "项目名称", "商品名称"),
  SPEC("规格型号"),
  UNIT("单位"),
  QUANTITY("数量"),
  PRICE("单价"),
  RATE("税率", "征收率", "税率/征收率");

  /** Columns the export writes that an invoice does not carry: recognised, so they are not reported as unknown. */
  static final List<String> KNOWN_OTHERS = List.of("序号", "发票来源", "开票人", "特定业务类型", "数电票号码序号", "销方地址电话",
      "购方地址电话", "所属期", "勾选状态", "认证状态");

  private static final Map<String, ExportColumn> BY_NAME = new HashMap<>();

  static {
    for (ExportColumn c : values()) {
      for (String n : c.names) {
        BY_NAME.put(normalize(n), c);
      }
    }
  }

  final List<String> names;

  ExportColumn(String... names) {
    this.names = List.of(names);
  }

  /** A header as it is compared: NFKC, no spaces or star, no trailing bracketed unit, lower case. */
  static String normalize(String header) {
    String s = Normalizer.normalize(header == null ? "" : header, Normalizer.Form.NFKC).replaceAll("[\\s*\u00a0]", "");
    s = s.replaceAll("\\([^)]*\\)$", "").replaceAll("\\[[^]]*]$", "");
    return s.toLowerCase(Locale.ROOT);
  }

  /** The column a header names, or null. */
  static ExportColumn of(String header) {
    return BY_NAME.get(normalize(header));
  }

  /** A sheet's header row, read: where each known column is, and the headers not recognised. */
  record Header(Map<ExportColumn, Integer> at, List<String> unknown) {

    static Header of(List<String> cells) {
      Map<ExportColumn, Integer> at = new EnumMap<>(ExportColumn.class);
      List<String> unknown = new ArrayList<>();
      for (int i = 0; i < cells.size(); i++) {
        String h = cells.get(i);
        if (h == null || h.isBlank()) {
          continue;
        }
        ExportColumn c = ExportColumn.of(h);
        if (c != null) {
          at.putIfAbsent(c, i);
        } else if (KNOWN_OTHERS.stream().noneMatch(k -> normalize(k).equals(normalize(h)))) {
          unknown.add(h.strip());
        }
      }
      return new Header(at, unknown);
    }

    boolean has(ExportColumn c) {
      return at.containsKey(c);
    }

    /** A sheet of invoice lines (货物或应税劳务名称 and an invoice's identity). */
    boolean isDetail() {
      return has(ITEM) && identifies();
    }

    /**
     * A sheet of lines that repeats each invoice's own columns on every line (a 明细 export): the lines of one invoice are
     * consecutive rows, and its totals are the sums of its lines.
     */
    boolean isCombined() {
      return isDetail() && has(ISSUE_DATE) && has(SELLER_TAX_ID);
    }

    /** A sheet of invoices (one per row): identity, date and the grand total or the parties. */
    boolean isSummary() {
      return !has(ITEM) && identifies() && has(ISSUE_DATE) && (has(TOTAL) || has(SELLER_TAX_ID));
    }

    boolean identifies() {
      return has(DIGITAL_NUMBER) || has(NUMBER);
    }

    /** Enough known headers (three) to be taken for the header row rather than a title above it. */
    boolean plausible() {
      return at.size() >= 3;
    }

    /** Why this is neither layout, naming what was not recognised and what is needed. */
    String refusal() {
      List<String> missing = new ArrayList<>();
      if (!identifies()) {
        missing.add("数电发票号码 or 发票号码");
      }
      if (!has(ITEM) && !has(ISSUE_DATE)) {
        missing.add("开票日期");
      }
      if (!has(ITEM) && !has(TOTAL) && !has(SELLER_TAX_ID)) {
        missing.add("价税合计 or 销方识别号");
      }
      return "not the platform's export layout: headers not recognised " + unknown + "; missing " + String.join(", ", missing)
          + " (a summary sheet needs the invoice's number, 开票日期 and 价税合计; a detail sheet the number and 货物或应税劳务名称)";
    }

    String get(List<String> row, ExportColumn c) {
      Integer i = at.get(c);
      return i == null || i >= row.size() ? null : row.get(i);
    }
  }
}
