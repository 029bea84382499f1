package io.invoicesync.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Our signatures, checked by the Standard Webhooks reference library (not ours). */
class SignaturesTest {

  static Map<String, List<String>> headers(String id, long ts, String signature) {
    return Map.of("webhook-id", List.of(id), "webhook-timestamp", List.of(Long.toString(ts)), "webhook-signature", List.of(signature));
  }

  @Test
  void shouldSignSoThatTheReferenceLibraryVerifies() {
    String secret = Signatures.newSecret();
    String body = "{\"type\":\"invoice.visible\",\"data\":{\"invoice\":{\"id\":\"inv-1\",\"sellerName\":\"深圳市示例科技有限公司\"}}}";
    long ts = Instant.now().getEpochSecond();
    String signature = Signatures.header(List.of(secret), "msg_1", ts, body);

    assertThat(signature).startsWith("v1,");
    assertThatCode(() -> new Webhook(secret).verify(body, headers("msg_1", ts, signature))).doesNotThrowAnyException();
    assertThatThrownBy(() -> new Webhook(secret).verify(body.replace("inv-1", "inv-2"), headers("msg_1", ts, signature)))
        .as("another body").isInstanceOf(WebhookVerificationException.class);
    assertThatThrownBy(() -> new Webhook(Signatures.newSecret()).verify(body, headers("msg_1", ts, signature)))
        .as("another secret").isInstanceOf(WebhookVerificationException.class);
    assertThatThrownBy(() -> new Webhook(secret).verify(body, headers("msg_2", ts, signature)))
        .as("another message id").isInstanceOf(WebhookVerificationException.class);
  }

  static boolean verifiesV1a(String publicKey, String id, long ts, String body, String header) throws Exception {
    return io.invoicesync.testkit.StandardWebhooksV1a.verifies(publicKey, id, Long.toString(ts), body, header);
  }

  @Test
  void shouldSignV1aWithAnEd25519KeyThatTheJdkVerifiesWithThePublicKeyAlone() throws Exception {
    String key = Signatures.newSigningKey();
    assertThat(key).startsWith("whsk_");
    assertThat(Signatures.checkSecret(key)).isEqualTo(key);
    assertThat(Signatures.scheme(key)).isEqualTo("v1a");
    String publicKey = Signatures.publicKey(key);
    assertThat(publicKey).startsWith("whpk_");
    assertThat(java.util.Base64.getDecoder().decode(publicKey.substring(5))).hasSize(32);
    String body = "{\"type\":\"invoice.visible\",\"data\":{\"invoice\":{\"id\":\"inv-1\"}}}";
    long ts = Instant.now().getEpochSecond();
    String header = Signatures.header(List.of(key), "msg_1", ts, body);

    assertThat(header).startsWith("v1a,");
    assertThat(verifiesV1a(publicKey, "msg_1", ts, body, header)).isTrue();
    assertThat(verifiesV1a(publicKey, "msg_1", ts, body.replace("inv-1", "inv-2"), header)).as("another body").isFalse();
    assertThat(verifiesV1a(Signatures.publicKey(Signatures.newSigningKey()), "msg_1", ts, body, header)).as("another key").isFalse();
    assertThat(Signatures.newSecretLike(key)).as("a rotation keeps the scheme").startsWith("whsk_").isNotEqualTo(key);
    assertThat(Signatures.newSecretLike(Signatures.newSecret())).startsWith("whsec_");
    assertThat(Signatures.publicKey(Signatures.newSecret())).as("a shared secret has no public key").isNull();
    // a 64-byte key whose halves do not belong together, and the wrong length, are refused without showing the key
    byte[] raw = java.util.Base64.getDecoder().decode(key.substring(5));
    raw[40] ^= 1;
    String mismatched = "whsk_" + java.util.Base64.getEncoder().encodeToString(raw);
    assertThatThrownBy(() -> Signatures.checkSecret(mismatched)).hasMessageContaining("not the public key").hasMessageNotContaining(mismatched);
    assertThatThrownBy(() -> Signatures.checkSecret("whsk_AAAA")).hasMessageContaining("holds 64 bytes");
  }

  @Test
  void shouldGiveTheSpecificationsTestVector() {
    assertThat(Signatures.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, "{\"test\": 2432232314}"))
        .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void shouldSignWithBothSecretsDuringARotationSoEitherVerifies() {
    String old = Signatures.newSecret();
    String fresh = Signatures.newSecret();
    String body = "{}";
    long ts = Instant.now().getEpochSecond();
    String both = Signatures.header(List.of(fresh, old), "msg_r", ts, body);

    assertThat(both.split(" ")).hasSize(2);
    assertThatCode(() -> new Webhook(old).verify(body, headers("msg_r", ts, both))).as("a receiver not yet updated").doesNotThrowAnyException();
    assertThatCode(() -> new Webhook(fresh).verify(body, headers("msg_r", ts, both))).as("an updated receiver").doesNotThrowAnyException();
  }

  @Test
  void shouldRefuseASecretThatIsNotWhsecBase64NamingWhyButNotTheSecret() {
    assertThatThrownBy(() -> Signatures.checkSecret("hunter2")).hasMessageContaining("whsec_").hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> Signatures.checkSecret("whsec_!!!")).hasMessageContaining("base64");
    assertThatThrownBy(() -> Signatures.checkSecret("whsec_AAAA")).hasMessageContaining("24 to 64 bytes");
    assertThat(Signatures.checkSecret(Signatures.newSecret())).startsWith("whsec_");
  }
}
