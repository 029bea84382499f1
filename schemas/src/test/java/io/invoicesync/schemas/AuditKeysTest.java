package io.invoicesync.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Format v3 of the audit chain: the canonical encoding, HMAC and Ed25519 signing, and what a verifier accepts. */
class AuditKeysTest {

  static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  static AuditEntry entry(String detail, String code) {
    return AuditEntry.newBuilder().setInvoiceId("inv-1").setEvent("APPLIED").setVersion(2)
        .setSource(SourcePosition.newBuilder().setLsn(42).setTxId(7L).setCommitTs(Instant.ofEpochMilli(1000)).setSnapshot(false)
            .setEpoch(9).build())
        .setDigest("d").setDetail(detail).setPrevHash("p").setHash("").setRecordedAt(Instant.ofEpochMilli(2000)).setStage("sync-streams")
        .setInvoiceCode(code).build();
  }

  @Test
  void theSourcesNameIsCoveredWhenItHasOneAndTheUnnamedSourcesEncodingIsAsBefore() {
    AuditEntry unnamed = entry("x", "c");
    unnamed.setKeyId("k1");
    byte[] before = AuditChain.canonical(unnamed);
    // the unnamed source: the encoding ends at sellerTaxId (absent: FF FF FF FF), exactly as entries written before names existed
    assertThat(java.util.Arrays.copyOfRange(before, before.length - 4, before.length)).containsExactly(-1, -1, -1, -1);
    AuditEntry named = entry("x", "c");
    named.setKeyId("k1");
    named.getSource().setName("pinyin");
    byte[] after = AuditChain.canonical(named);
    assertThat(java.util.Arrays.copyOf(after, before.length)).isEqualTo(before);
    assertThat(new String(after, before.length + 4, after.length - before.length - 4, StandardCharsets.UTF_8)).isEqualTo("pinyin");
    // so moving an entry to another source breaks its hash
    AuditEntry sealed = AuditChain.seal(named, AuditKeys.hmac("k1", SECRET));
    sealed.getSource().setName("reference");
    assertThat(AuditChain.hash(sealed)).isNotEqualTo(sealed.getHash());
  }

  @Test
  void anImportedInvoicesFileSheetAndRowAreCoveredSoARowCannotBeMovedToAnotherFile() {
    AuditEntry imported = entry("x", "c");
    imported.setKeyId("k1");
    imported.getSource().setName("import");
    byte[] named = AuditChain.canonical(imported);
    imported.getSource().setFile(FilePosition.newBuilder().setFile("全量发票查询导出_202611.xlsx").setSha256("ab".repeat(32)).setSheet("信息汇总表")
        .setRow(1284).build());
    byte[] withFile = AuditChain.canonical(imported);
    // after the name: file, sha256, sheet, row, and the absent path
    assertThat(java.util.Arrays.copyOf(withFile, named.length)).isEqualTo(named);
    assertThat(new String(withFile, named.length, withFile.length - named.length, StandardCharsets.UTF_8)).contains("全量发票查询导出_202611.xlsx",
        "信息汇总表", "1284");
    assertThat(java.util.Arrays.copyOfRange(withFile, withFile.length - 4, withFile.length)).containsExactly(-1, -1, -1, -1);
    AuditEntry sealed = AuditChain.seal(imported, AuditKeys.hmac("k1", SECRET));
    sealed.getSource().getFile().setRow(1285);
    assertThat(AuditChain.hash(sealed)).isNotEqualTo(sealed.getHash());
  }

  @Test
  void hmacEntriesVerifyWithTheSecretAndNothingElse() throws Exception {
    AuditEntry e = AuditChain.seal(entry("x", "c"), AuditKeys.hmac("k1", SECRET));
    assertThat(AuditChain.format(e)).isEqualTo(3);
    assertThat(e.getKeyId()).isEqualTo("k1");
    assertThat(e.getHash()).isEqualTo(AuditChain.sha256(AuditChain.canonical(e))).isEqualTo(AuditChain.hash(e));
    // the MAC is plain HMAC-SHA256 of the canonical bytes, as an auditor's openssl computes it
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
    assertThat(e.getMac()).isEqualTo("hmac-sha256:" + HexFormat.of().formatHex(mac.doFinal(AuditChain.canonical(e))));

    Path key = Files.write(dir.resolve("k1.key"), SECRET);
    AuditKeys.Verifier v = AuditKeys.Verifier.none().add("k1", key);
    assertThat(v.check("k1", AuditChain.canonical(e), e.getMac())).isEqualTo(AuditKeys.Check.VALID);
    assertThat(v.check("k2", AuditChain.canonical(e), e.getMac())).isEqualTo(AuditKeys.Check.NO_KEY);

    // altered, and rehashed by the published formula: the hash holds, the MAC does not
    e.setDetail("y");
    e.setHash(AuditChain.hash(e));
    assertThat(v.check("k1", AuditChain.canonical(e), e.getMac())).isEqualTo(AuditKeys.Check.INVALID);
    Path other = Files.write(dir.resolve("other.key"), "another secret of 32 bytes......".getBytes(StandardCharsets.UTF_8));
    AuditEntry byOther = AuditChain.seal(entry("x", "c"), AuditKeys.hmac("k1", Files.readAllBytes(other)));
    assertThat(v.check("k1", AuditChain.canonical(byOther), byOther.getMac())).isEqualTo(AuditKeys.Check.INVALID);
  }

  @Test
  void ed25519EntriesVerifyWithThePublicKeyWhichCannotServeAsAnHmacSecret() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String privatePem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
    String publicPem = pem("PUBLIC KEY", pair.getPublic().getEncoded());
    AuditEntry e = AuditChain.seal(entry("x", "c"), AuditKeys.ed25519("k2", privatePem));
    assertThat(e.getMac()).startsWith("ed25519:");

    Path pub = Files.writeString(dir.resolve("k2.pem"), publicPem);
    AuditKeys.Verifier v = AuditKeys.Verifier.none().add("k2", pub);
    assertThat(v.check("k2", AuditChain.canonical(e), e.getMac())).isEqualTo(AuditKeys.Check.VALID);

    // an insider who knows the public key signs "hmac-sha256" with its bytes: refused, the key is an Ed25519 key
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Files.readAllBytes(pub), "HmacSHA256"));
    String confused = "hmac-sha256:" + HexFormat.of().formatHex(mac.doFinal(AuditChain.canonical(e)));
    assertThat(v.check("k2", AuditChain.canonical(e), confused)).isEqualTo(AuditKeys.Check.INVALID);

    Path priv = Files.writeString(dir.resolve("priv.pem"), privatePem);
    assertThatThrownBy(() -> AuditKeys.Verifier.none().add("k2", priv)).hasMessageContaining("holds a private key")
        .hasMessageContaining("-pubout");
  }

  @Test
  void theCanonicalEncodingKeepsFieldsApartAndCoversTheSourcePosition() {
    AuditKeys.SigningKey key = AuditKeys.hmac("k1", SECRET);
    // the v2 formula joins with '|': text moved between detail and code hashed the same; v3 does not
    assertThat(AuditChain.canonical(entry("a|b", "c"))).isNotEqualTo(AuditChain.canonical(entry("a", "b|c")));
    AuditEntry e = AuditChain.seal(entry("x", "c"), key);
    String before = e.getHash();
    e.getSource().setEpoch(10);
    assertThat(AuditChain.hash(e)).isNotEqualTo(before);
    e.getSource().setEpoch(9);
    e.getSource().setSnapshot(true);
    assertThat(AuditChain.hash(e)).isNotEqualTo(before);
    // absent and the text "null" differ
    assertThat(AuditChain.canonical(entry(null, "c"))).isNotEqualTo(AuditChain.canonical(entry("null", "c")));
  }

  @Test
  void checkpointsAreSignedToo() throws Exception {
    AuditCheckpoint cp = AuditCheckpoint.newBuilder().setPartition(1).setPartitions(6).setCheckpointAt(Instant.ofEpochMilli(5))
        .setChains(3).setRoot("r").build();
    AuditChain.sign(cp, AuditKeys.hmac("k1", SECRET));
    AuditKeys.Verifier v = AuditKeys.Verifier.none().add("k1", Files.write(dir.resolve("k1.key"), SECRET));
    assertThat(v.check("k1", AuditChain.canonical(cp), cp.getMac())).isEqualTo(AuditKeys.Check.VALID);
    cp.setCheckpointAt(Instant.ofEpochMilli(6)); // a later checkpoint forged from a real one
    assertThat(v.check("k1", AuditChain.canonical(cp), cp.getMac())).isEqualTo(AuditKeys.Check.INVALID);
  }

  @Test
  void refusesWeakKeysAndMissingIds() throws Exception {
    assertThatThrownBy(() -> AuditKeys.hmac("k", "short".getBytes(StandardCharsets.UTF_8))).hasMessageContaining("at least 16");
    assertThatThrownBy(() -> AuditKeys.hmac(" ", SECRET)).hasMessageContaining("needs an id");
    assertThatThrownBy(() -> AuditKeys.ed25519("k", "not a pem")).hasMessageContaining("PKCS#8 PEM");
    Path tiny = Files.write(dir.resolve("tiny.key"), new byte[4]);
    assertThatThrownBy(() -> AuditKeys.Verifier.none().add("t", tiny)).hasMessageContaining("too short");
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
