package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.KafkaTestSupport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** The "no version applied twice" check of the pipeline ITs, on {@code invoices.synced}. */
public final class SyncedVersions {

  private SyncedVersions() {
  }

  private static List<ConsumerRecord<String, InvoiceState>> readToEnd(String bootstrap, SerdeFactory serdes) {
    return KafkaTestSupport.readToEnd(bootstrap, Topics.SYNCED.name(), serdes.keySerde().deserializer(),
        serdes.valueSerde(InvoiceState.class).deserializer());
  }

  /** Waits until every one of {@code ids} is on invoices.synced, then checks each invoice's versions run 1, 2, 3... */
  public static void assertEachAppliedOnceInOrder(String bootstrap, Set<String> ids) {
    SerdeFactory serdes = SerdeFactory.registryLess();
    // wait until every one is there, then read the whole topic: a version applied twice may come after the first sight of each id
    await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(readToEnd(bootstrap, serdes).stream().map(ConsumerRecord::key)
        .collect(java.util.stream.Collectors.toSet())).containsAll(ids));
    Map<String, List<Integer>> versions = new HashMap<>();
    readToEnd(bootstrap, serdes).forEach(r -> versions.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value().getVersion()));
    versions.forEach((id, vs) -> {
      List<Integer> expected = new ArrayList<>();
      for (int v = 1; v <= vs.size(); v++) {
        expected.add(v);
      }
      assertThat(vs).as("versions of " + id).isEqualTo(expected);
    });
  }
}
