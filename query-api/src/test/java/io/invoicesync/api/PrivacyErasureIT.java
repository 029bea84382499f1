package io.invoicesync.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.QueryStoreWriter;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.testkit.InvoiceFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** docs/privacy.md's erasure SQL, run as written (psql's :'tax_id' bound), on a real store: the person is gone, the invoices stay. */
class PrivacyErasureIT {

  static final String PERSON = "11010519491231002X";

  @TempDir
  Path dir;

  @Test
  void theDocumentedErasureRemovesTheBuyersPersonalDataAndKeepsTheInvoices() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "privacy.md"));
    int start = doc.indexOf("```sql");
    String sql = doc.substring(start + 6, doc.indexOf("```", start + 6)).replace(":'tax_id'", "'" + PERSON + "'");
    TestQueryStore store = TestQueryStore.start(dir);
    try (EmbeddedPostgresServer pg = store.pg()) {
      PGSimpleDataSource ds = store.dataSource();
      Invoice mine = InvoiceFixtures.digitalInvoice("bought-by-person", 1);
      mine.getBuyer().setTaxId(PERSON);
      mine.getBuyer().setName("张三");
      mine.getBuyer().setAddressPhone("北京市朝阳区 13812345678");
      mine.getBuyer().setBankAccount("工商银行 6222021234567890123");
      Invoice other = InvoiceFixtures.digitalInvoice("bought-by-company", 1);
      new QueryStoreWriter(ds).write(List.of(InvoiceFixtures.synced(mine, 1, 1), InvoiceFixtures.synced(other, 1, 2)));
      try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
        s.execute("INSERT INTO invoice_rejection (invoice_id, source_lsn, source_commit_ts, rejected_at, codes, violations, buyer_name, "
            + "buyer_tax_id) VALUES ('rejected-person', 3, now(), now(), 'BUYER_TAX_ID_FORMAT', '[{\"code\": \"BUYER_TAX_ID_FORMAT\", "
            + "\"field\": \"buyer.taxId\", \"value\": \"" + PERSON + "\"}, {\"code\": \"X\", \"field\": \"buyer.addressPhone\", "
            + "\"value\": \"13812345678\"}]', '张三', '" + PERSON + "')");
        s.execute(sql.replace("BEGIN;", "").replace("COMMIT;", "")); // one statement batch on an auto-commit connection

        String everything = dump(s, "SELECT row_to_json(i)::text FROM invoice i UNION ALL SELECT row_to_json(r)::text FROM invoice_rejection r");
        assertThat(everything).doesNotContain(PERSON, "张三", "13812345678", "6222021234567890123").contains("(erased)");
        assertThat(dump(s, "SELECT id FROM invoice ORDER BY id")).isEqualTo("bought-by-company\nbought-by-person\n");
        assertThat(dump(s, "SELECT violations::text FROM invoice_rejection")).contains("BUYER_TAX_ID_FORMAT", "buyer.taxId");
      }
    }
  }

  private static String dump(Statement s, String q) throws Exception {
    StringBuilder out = new StringBuilder();
    try (ResultSet rs = s.executeQuery(q)) {
      while (rs.next()) {
        out.append(rs.getString(1)).append('\n');
      }
    }
    return out.toString();
  }
}
