package io.invoicesync.imports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.w3c.dom.Document;

/**
 * Reads the tax platform's files into invoices: 数电票 XML ({@code .xml}), OFD ({@code .ofd}: the
 * invoice's XML embedded in the package, or its custom tags), the query export as a workbook ({@code .xlsx}) or CSV
 * ({@code .csv}). Directories are read file by file, in name order.
 */
public final class FileReaders {

  /** What one file gave: rows read, invoices and lines found, problems reported to the sink. */
  public record Summary(String file, String sha256, String format, int rows, int invoices, int lines, int problems) {
  }

  /** The largest XML one invoice is read from (a file, or a part of an OFD package): 16 MiB. */
  static final long MAX_XML_BYTES = 16L << 20;

  private FileReaders() {
  }

  /** The files {@code paths} name, directories expanded (their files with a known extension, in name order). */
  public static List<Path> expand(List<Path> paths) {
    List<Path> out = new ArrayList<>();
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.filter(Files::isRegularFile).filter(f -> format(f) != null).sorted().forEach(out::add);
        } catch (IOException e) {
          throw new ImportFormatException(p + ": the directory cannot be listed (" + e.getMessage() + ")", e);
        }
      } else if (!Files.isRegularFile(p)) {
        throw new ImportFormatException(p + ": no such file");
      } else {
        out.add(p);
      }
    }
    return out;
  }

  /** xml, ofd, xlsx or csv by the name's extension; null for another. */
  public static String format(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    for (String ext : List.of("xml", "ofd", "xlsx", "csv")) {
      if (n.endsWith("." + ext)) {
        return ext;
      }
    }
    return null;
  }

  /** Reads one file, sending its invoices and problems to {@code sink}; an unreadable file is an {@link ImportFormatException}. */
  public static Summary read(Path file, ImportSink sink) {
    String format = format(file);
    if (format == null) {
      throw new ImportFormatException(file.getFileName() + ": not a file the import reads (.xml 数电票, .ofd, .xlsx or .csv of the "
          + "platform's query export)");
    }
    String sha256 = sha256(file);
    return switch (format) {
      case "xml" -> xml(file, sha256, sink);
      case "ofd" -> ofd(file, sha256, sink);
      case "xlsx" -> WorkbookReader.read(file, sha256, sink);
      default -> CsvReader.read(file, sha256, sink);
    };
  }

  private static Summary xml(Path file, String sha256, ImportSink sink) {
    String name = file.getFileName().toString();
    try {
      if (Files.size(file) > MAX_XML_BYTES) {
        throw new ImportFormatException(name + ": " + Files.size(file) + " bytes, more than one invoice's XML can be (at most "
            + MAX_XML_BYTES + ")");
      }
    } catch (IOException e) {
      throw new ImportFormatException(name + ": cannot be read (" + e.getMessage() + ")", e);
    }
    Document doc;
    try (InputStream in = Files.newInputStream(file)) {
      doc = EInvoiceXmlReader.parse(in);
    } catch (Exception e) {
      throw new ImportFormatException(name + ": not well-formed XML (" + e.getMessage() + ")", e);
    }
    if (!EInvoiceXmlReader.knows(doc)) {
      throw new ImportFormatException(name + ": root element " + EInvoiceXmlReader.local(doc.getDocumentElement())
          + " is not a 数电票 (EInvoice) or an electronic invoice (eInvoice)");
    }
    return one(name, sha256, "xml", doc, "", sink);
  }

  private static Summary one(String name, String sha256, String format, Document doc, String pathPrefix, ImportSink sink) {
    try {
      ImportedInvoice inv = EInvoiceXmlReader.invoice(doc, name, sha256, pathPrefix);
      sink.invoice(inv);
      return new Summary(name, sha256, format, 1, 1, inv.invoice().getLines().size(), 0);
    } catch (IllegalArgumentException e) {
      sink.problem(new ImportProblem(name, null, null, pathPrefix + "/" + EInvoiceXmlReader.local(doc.getDocumentElement()), e.getMessage()));
      return new Summary(name, sha256, format, 1, 0, 0, 1);
    }
  }

  /**
   * An OFD package (GB/T 33190, a zip): the invoice's data from the XML file it embeds (an attachment
   * whose root is {@code EInvoice} or {@code eInvoice}), as the platform's and tax-control systems' OFD
   * invoices carry it; or, where the package embeds none, from its <b>custom tags</b>: a tag file
   * (listed in {@code CustomTags.xml}) of the same vocabulary whose fields point, by
   * {@code ofd:ObjectRef}, at the text objects printed on the page — each field then reads the text of
   * the objects it names. An embedded invoice XML is preferred to the tags when both are there.
   */
  private static Summary ofd(Path file, String sha256, ImportSink sink) {
    String name = file.getFileName().toString();
    List<String> seen = new ArrayList<>();
    java.util.Map<String, Document> tagged = new java.util.LinkedHashMap<>(); // invoice vocabularies that point at page objects
    java.util.Map<String, String> pageText = new java.util.HashMap<>(); // text object ID -> its text
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        if (e.isDirectory() || !e.getName().toLowerCase(Locale.ROOT).endsWith(".xml")) {
          continue;
        }
        seen.add(e.getName());
        Document doc;
        try {
          // at most MAX_XML_BYTES of one part, however far it inflates: a zip bomb is a parse error here, not an exhausted heap
          doc = EInvoiceXmlReader.parse(org.apache.commons.io.input.BoundedInputStream.builder().setInputStream(zip)
              .setMaxCount(MAX_XML_BYTES).setPropagateClose(false).get());
        } catch (Exception ex) {
          continue; // not XML the invoice is in
        }
        if (EInvoiceXmlReader.knows(doc)) {
          if (doc.getElementsByTagNameNS("*", "ObjectRef").getLength() == 0) {
            return one(name, sha256, "ofd", doc, e.getName(), sink);
          }
          tagged.put(e.getName(), doc);
        } else if ("Page".equals(EInvoiceXmlReader.local(doc.getDocumentElement()))
            || "Template".equals(EInvoiceXmlReader.local(doc.getDocumentElement()))) {
          textObjects(doc, pageText);
        }
      }
    } catch (IOException e) {
      throw new ImportFormatException(name + ": not an OFD package (" + e.getMessage() + ")", e);
    }
    if (!tagged.isEmpty()) {
      java.util.Map.Entry<String, Document> tags = tagged.entrySet().iterator().next();
      try {
        resolve(tags.getValue(), pageText);
      } catch (IllegalArgumentException e) {
        sink.problem(new ImportProblem(name, null, null, tags.getKey(), e.getMessage()));
        return new Summary(name, sha256, "ofd", 1, 0, 0, 1);
      }
      return one(name, sha256, "ofd", tags.getValue(), tags.getKey(), sink);
    }
    if (seen.isEmpty()) {
      throw new ImportFormatException(name + ": not an OFD package (no XML inside)");
    }
    throw new ImportFormatException(name + ": an OFD package without the invoice's data (no attachment or custom tag file has the root "
        + "EInvoice or eInvoice; read " + seen.size() + " XML parts)");
  }

  /** The text of every text object of a page (or template): its ID, and its text codes joined. */
  private static void textObjects(Document page, java.util.Map<String, String> out) {
    org.w3c.dom.NodeList objects = page.getElementsByTagNameNS("*", "TextObject");
    for (int i = 0; i < objects.getLength(); i++) {
      org.w3c.dom.Element o = (org.w3c.dom.Element) objects.item(i);
      StringBuilder text = new StringBuilder();
      org.w3c.dom.NodeList codes = o.getElementsByTagNameNS("*", "TextCode");
      for (int j = 0; j < codes.getLength(); j++) {
        text.append(codes.item(j).getTextContent());
      }
      if (!o.getAttribute("ID").isEmpty()) {
        out.put(o.getAttribute("ID"), text.toString());
      }
    }
  }

  /** Replaces each {@code ofd:ObjectRef} of a custom tag file by the text of the page object it names. */
  private static void resolve(Document tags, java.util.Map<String, String> pageText) {
    org.w3c.dom.NodeList refs = tags.getElementsByTagNameNS("*", "ObjectRef");
    List<org.w3c.dom.Node> all = new ArrayList<>();
    for (int i = 0; i < refs.getLength(); i++) {
      all.add(refs.item(i));
    }
    for (org.w3c.dom.Node ref : all) {
      String id = ref.getTextContent().strip();
      String text = pageText.get(id);
      if (text == null) {
        throw new IllegalArgumentException(EInvoiceXmlReader.local(ref.getParentNode()) + ": the custom tag points at object " + id
            + ", which is on no page of the package");
      }
      ref.getParentNode().replaceChild(tags.createTextNode(text), ref);
    }
    tags.normalizeDocument();
  }

  /** Lowercase hex SHA-256 of the file's bytes. */
  public static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new ImportFormatException(file.getFileName() + ": cannot be read (" + e.getMessage() + ")", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
