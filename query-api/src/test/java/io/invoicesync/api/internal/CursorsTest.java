package io.invoicesync.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

class CursorsTest {

  @Test
  void shouldDecodeWhatItEncoded() {
    Cursors.DateKey date = new Cursors.DateKey(LocalDate.of(2026, 11, 3), "q-3|odd id");
    Cursors.TimeKey time = new Cursors.TimeKey(OffsetDateTime.parse("2026-11-27T11:18:19.013Z"), "t-grand");

    assertThat(Cursors.decodeDate(Cursors.encode(date))).isEqualTo(date);
    assertThat(Cursors.decodeTime(Cursors.encode(time))).isEqualTo(time);
    assertThat(Cursors.encode(date)).doesNotContain("=", "+", "/");
  }

  @Test
  void shouldReadNoCursorAsTheFirstPage() {
    assertThat(Cursors.decodeDate(null)).isNull();
    assertThat(Cursors.decodeDate(" ")).isNull();
    assertThat(Cursors.decodeTime("")).isNull();
  }

  @Test
  void shouldRefuseACursorItDidNotHandOutNamingTheParameter() {
    String dateCursor = Cursors.encode(new Cursors.DateKey(LocalDate.of(2026, 11, 3), "q-3"));

    assertThatThrownBy(() -> Cursors.decodeTime(dateCursor)).isInstanceOfSatisfying(ProblemException.class,
        e -> assertThat(e.getMessage()).isEqualTo("parameter 'cursor' is not a cursor returned by this endpoint (pass nextCursor as it is)"));
    assertThatThrownBy(() -> Cursors.decodeDate("bm90LWEtY3Vyc29y")).isInstanceOfSatisfying(ProblemException.class,
        e -> assertThat(e.getMessage()).isEqualTo("parameter 'cursor' is not a cursor returned by this API (pass nextCursor as it is)"));
    assertThatThrownBy(() -> Cursors.decodeDate("%%%")).isInstanceOf(ProblemException.class);
  }
}
