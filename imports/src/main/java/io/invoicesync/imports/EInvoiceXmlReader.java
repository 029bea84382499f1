package io.invoicesync.imports;

import io.invoicesync.schemas.FilePosition;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.RedLetterLink;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * A 数电票 as the tax platform's XML writes it (DOMAIN.md): root {@code EInvoice}; {@code Header/EIid}
 * the 20-digit number and {@code Header/InherentLabel} its type and blue/red; the parties, totals and
 * repeated {@code IssuItemInformation} lines under {@code EInvoiceData}; the blue invoice of a red one
 * under {@code SpecificInformation/RedEInvoice}; the remark; {@code TaxSupervisionInfo}'s issue time.
 * Also an older electronic invoice's XML (root {@code eInvoice}: {@code InvoiceCode}, {@code InvoiceNo},
 * …), as OFD files embed it. Element names are matched without namespace; DTDs and external entities are refused.
 */
final class EInvoiceXmlReader {

  private EInvoiceXmlReader() {
  }

  static Document parse(InputStream in) throws IOException, SAXException, ParserConfigurationException {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setXIncludeAware(false);
    f.setExpandEntityReferences(false);
    DocumentBuilder b = f.newDocumentBuilder();
    b.setErrorHandler(null);
    return b.parse(in);
  }

  /** True for a document this reader knows: a 数电票 ({@code EInvoice}) or an older e-invoice ({@code eInvoice}). */
  static boolean knows(Document doc) {
    String root = local(doc.getDocumentElement());
    return root.equals("EInvoice") || root.equalsIgnoreCase("eInvoice");
  }

  /** The invoice of {@code doc}; {@code where} names the file (its path is set here). */
  static ImportedInvoice invoice(Document doc, String file, String sha256, String pathPrefix) {
    Element root = doc.getDocumentElement();
    if (local(root).equals("EInvoice")) {
      return digital(root, FilePosition.newBuilder().setFile(file).setSha256(sha256).setPath(pathPrefix + "/EInvoice").build());
    }
    return older(root, FilePosition.newBuilder().setFile(file).setSha256(sha256).setPath(pathPrefix + "/" + local(root)).build());
  }

  private static ImportedInvoice digital(Element root, FilePosition where) {
    Element header = child(root, "Header");
    Element data = child(root, "EInvoiceData");
    String number = text(child(header, "EIid"));
    Element supervision = child(root, "TaxSupervisionInfo");
    if (number == null) {
      number = text(child(supervision, "InvoiceNumber"));
    }
    if (number == null) {
      throw new IllegalArgumentException("Header/EIid: the invoice's number is missing");
    }
    Element label = child(header, "InherentLabel");
    String vat = text(child(label, "GeneralOrSpecialVAT"));
    String eType = text(child(label, "EInvoiceType"));
    String kindText = (vat == null ? "" : vat) + " " + (eType == null ? "" : eType);
    String type = kindText.contains("专用") || labelCode(child(label, "GeneralOrSpecialVAT")).equals("01") ? "DIGITAL_SPECIAL"
        : kindText.contains("普通") || labelCode(child(label, "GeneralOrSpecialVAT")).equals("02") ? "DIGITAL_GENERAL" : null;
    String issuType = labelCode(child(label, "InIssuType"));
    Element seller = child(data, "SellerInformation");
    Element buyer = child(data, "BuyerInformation");
    Element basic = child(data, "BasicInformation");
    String issueTime = text(child(supervision, "IssueTime"));
    if (issueTime == null) {
      issueTime = text(child(basic, "RequestTime"));
    }
    String issueTimeText = issueTime;
    LocalDateTime issuedAt = ExportTable.field("IssueTime", () -> Values.dateTime(issueTimeText));
    java.time.LocalDate issueDate = ExportTable.field("IssueTime", () -> Values.date(issueTimeText));
    String remark = text(child(child(data, "AdditionalInformation"), "Remark"));
    if (remark == null) {
      remark = text(child(child(root, "AdditionalInformation"), "Remark"));
    }
    List<InvoiceLine> lines = new ArrayList<>();
    int i = 0;
    for (Element item : children(data, "IssuItemInformation")) {
      i++;
      int n = i;
      String rate = text(child(item, "TaxRate"));
      lines.add(InvoiceLine.newBuilder().setLineNo(i).setItemName(text(child(item, "ItemName"))).setSpecification(text(child(item, "SpecMod")))
          .setUnit(text(child(item, "MeaUnits")))
          .setQuantity(ExportTable.field("IssuItemInformation[" + n + "]/Quantity", () -> Values.quantity(text(child(item, "Quantity")))))
          .setUnitPrice(ExportTable.field("IssuItemInformation[" + n + "]/UnPrice", () -> Values.quantity(text(child(item, "UnPrice")))))
          .setAmount(ExportTable.field("IssuItemInformation[" + n + "]/Amount", () -> Values.amount(text(child(item, "Amount")), 2)))
          .setTaxRate(ExportTable.field("IssuItemInformation[" + n + "]/TaxRate", () -> Values.rate(rate))).setTaxExempt(Values.exempt(rate))
          .setTaxAmount(ExportTable.field("IssuItemInformation[" + n + "]/ComTaxAm", () -> Values.amount(text(child(item, "ComTaxAm")), 2)))
          .setTaxCode(first(item, "TaxClassificationCode", "GoodsTaxCode", "TaxClassCode")).setLineKind("NORMAL").build());
    }
    Invoice.Builder inv = Invoice.newBuilder().setId(number).setInvoiceCode(null).setInvoiceNumber(number).setInvoiceType(type)
        .setIssueDate(issueDate).setIssuedAt(issuedAt)
        .setSeller(party(seller, "Seller")).setBuyer(party(buyer, "Buyer"))
        .setTotalAmount(ExportTable.field("BasicInformation/TotalAmWithoutTax", () -> Values.amount(text(child(basic, "TotalAmWithoutTax")), 2)))
        .setTotalTax(ExportTable.field("BasicInformation/TotalTaxAm", () -> Values.amount(text(child(basic, "TotalTaxAm")), 2)))
        .setGrandTotal(ExportTable.field("BasicInformation/TotalTax-includedAmount",
            () -> Values.amount(text(child(basic, "TotalTax-includedAmount")), 2)))
        .setStatus("ISSUED").setRemarks(remark).setLines(lines);
    Element red = child(child(data, "SpecificInformation"), "RedEInvoice");
    if (red == null) {
      red = child(child(root, "SpecificInformation"), "RedEInvoice");
    }
    boolean isRed = issuType.equalsIgnoreCase("N") || issuType.equals("否") || red != null;
    if (isRed) {
      String blue = red == null ? null : first(red, "BlueEIid", "OriginalEIid", "EIid", "OriginalInvoiceNumber", "BlueInvoiceNumber");
      if (blue == null) {
        blue = Values.find(ExportTable.BLUE_NUMBER, remark);
      }
      String blueCode = red == null ? null : first(red, "BlueInvoiceCode", "OriginalInvoiceCode");
      String confirmation = red == null ? null : first(red, "RedConfirmationNo", "RedInvoiceFormNumber", "ConfirmationNo");
      if (confirmation == null) {
        confirmation = Values.find(ExportTable.CONFIRMATION, remark);
      }
      String blueDate = red == null ? null : first(red, "BlueIssueDate", "OriginalIssueDate");
      String blueNumber = blue;
      inv.setRedLetter(RedLetterLink.newBuilder().setBlueInvoiceNumber(blue).setBlueInvoiceCode(blueCode)
          .setBlueInvoiceId(blueNumber == null ? null : ImportedInvoice.nationalId(blueCode, blueNumber)).setConfirmationNo(confirmation)
          .setBlueIssueDate(ExportTable.field("RedEInvoice/BlueIssueDate", () -> Values.date(blueDate))).build());
    }
    return new ImportedInvoice(inv.build(), true, where);
  }

  private static ImportedInvoice older(Element root, FilePosition where) {
    String code = first(root, "InvoiceCode", "FPDM");
    String number = first(root, "InvoiceNo", "InvoiceNumber", "FPHM");
    if (number == null) {
      throw new IllegalArgumentException("InvoiceNo: the invoice's number is missing");
    }
    String dateText = first(root, "IssueDate", "IssueTime", "KPRQ");
    String kind = first(root, "InvoiceType", "TypeName");
    List<InvoiceLine> lines = new ArrayList<>();
    int i = 0;
    for (Element item : descendants(root, "GoodsInfo", "Item", "InvoiceItem")) {
      i++;
      String rate = first(item, "TaxRate", "Rate");
      lines.add(InvoiceLine.newBuilder().setLineNo(i).setItemName(first(item, "Item", "ItemName", "Name")).setSpecification(first(item, "Specification", "SpecMod"))
          .setUnit(first(item, "MeasurementDimension", "Unit")).setQuantity(Values.quantity(first(item, "Quantity")))
          .setUnitPrice(Values.quantity(first(item, "Price", "UnitPrice"))).setAmount(Values.amount(first(item, "Amount"), 2))
          .setTaxRate(Values.rate(rate)).setTaxExempt(Values.exempt(rate)).setTaxAmount(Values.amount(first(item, "TaxAmount", "TaxScheme"), 2))
          .setLineKind("NORMAL").build());
    }
    Invoice inv = Invoice.newBuilder().setId(ImportedInvoice.nationalId(code, number)).setInvoiceCode(code).setInvoiceNumber(number)
        .setInvoiceType(kind == null ? "GENERAL_ELECTRONIC" : ExportTable.type(kind.contains("电子") ? kind : "电子" + kind, false))
        .setIssueDate(ExportTable.field("IssueDate", () -> Values.date(dateText))).setIssuedAt(Values.dateTime(dateText))
        .setSeller(Party.newBuilder().setName(first(root, "SellerName")).setTaxId(first(root, "SellerTaxID", "SellerTaxId", "SellerIdNum")).build())
        .setBuyer(Party.newBuilder().setName(first(root, "BuyerName")).setTaxId(first(root, "BuyerTaxID", "BuyerTaxId", "BuyerIdNum")).build())
        .setTotalAmount(ExportTable.field("TaxExclusiveTotalAmount", () -> Values.amount(first(root, "TaxExclusiveTotalAmount", "TotalAmount"), 2)))
        .setTotalTax(ExportTable.field("TaxTotalAmount", () -> Values.amount(first(root, "TaxTotalAmount", "TotalTax"), 2)))
        .setGrandTotal(ExportTable.field("TaxInclusiveTotalAmount", () -> Values.amount(first(root, "TaxInclusiveTotalAmount", "GrandTotal"), 2)))
        .setStatus("ISSUED").setRemarks(first(root, "Note", "Remark")).setLines(lines).build();
    return new ImportedInvoice(inv, !lines.isEmpty(), where);
  }

  private static Party party(Element e, String prefix) {
    String addr = join(text(child(e, prefix + "Addr")), text(child(e, prefix + "TelNum")));
    String bank = join(text(child(e, prefix + "BankName")), text(child(e, prefix + "BankAccNum")));
    return Party.newBuilder().setName(text(child(e, prefix + "Name"))).setTaxId(text(child(e, prefix + "IdNum"))).setAddressPhone(addr)
        .setBankAccount(bank).build();
  }

  private static String join(String a, String b) {
    return a == null ? b : b == null ? a : a + " " + b;
  }

  static String local(Node n) {
    String name = n.getLocalName() != null ? n.getLocalName() : n.getNodeName();
    int colon = name.indexOf(':');
    return colon < 0 ? name : name.substring(colon + 1);
  }

  static Element child(Element parent, String name) {
    if (parent == null) {
      return null;
    }
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && local(e).equals(name)) {
        return e;
      }
    }
    return null;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    if (parent != null) {
      for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e && local(e).equals(name)) {
          out.add(e);
        }
      }
    }
    return out;
  }

  /** Elements named any of {@code names} anywhere under {@code root}, in document order (an older invoice's goods). */
  private static List<Element> descendants(Element root, String... names) {
    List<Element> out = new ArrayList<>();
    collect(root, List.of(names), out);
    return out;
  }

  private static void collect(Element e, List<String> names, List<Element> out) {
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element c) {
        if (names.contains(local(c)) && c.getElementsByTagNameNS("*", "*").getLength() > 0) {
          out.add(c);
        } else {
          collect(c, names, out);
        }
      }
    }
  }

  /** The text of the first element under {@code root} (at any depth) named any of {@code names}, or null. */
  private static String first(Element root, String... names) {
    for (String name : names) {
      org.w3c.dom.NodeList found = root.getElementsByTagNameNS("*", name);
      if (found.getLength() == 0) {
        found = root.getElementsByTagName(name);
      }
      for (int i = 0; i < found.getLength(); i++) {
        String t = text((Element) found.item(i));
        if (t != null) {
          return t;
        }
      }
    }
    return null;
  }

  /** An element's own text (a label's LabelName when it has one), trimmed; null when absent or blank. */
  static String text(Element e) {
    if (e == null) {
      return null;
    }
    Element name = child(e, "LabelName");
    return Values.text(name != null ? name.getTextContent() : e.getTextContent());
  }

  /** A label's code ({@code LabelCode}, or its text when it has no children); "" when absent. */
  private static String labelCode(Element e) {
    if (e == null) {
      return "";
    }
    Element code = child(e, "LabelCode");
    String t = Values.text(code != null ? code.getTextContent() : e.getTextContent());
    return t == null ? "" : t;
  }
}
