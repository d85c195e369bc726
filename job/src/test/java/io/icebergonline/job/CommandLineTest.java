package io.icebergonline.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Option values: zero where zero means something, "must be greater than 0" where it does not. */
class CommandLineTest {
  private static CommandLine line(String... args) {
    return new CommandLine(args, Set.of("--expire-older-than", "--orphan-older-than"), Set.of());
  }

  @Test
  void aZeroDurationIsAcceptedWhereZeroIsMeaningful() {
    assertThat(line("--expire-older-than", "0s").duration("--expire-older-than")).isZero();
    assertThat(line("--expire-older-than", "90s").duration("--expire-older-than")).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void aZeroDurationWhereAPositiveOneIsNeededIsRefusedAsOutOfRangeNotAsMalformed() {
    assertThatThrownBy(() -> line("--orphan-older-than", "0s").positiveDuration("--orphan-older-than"))
        .isInstanceOf(CommandLine.UsageException.class)
        .hasMessage("--orphan-older-than must be greater than 0, got '0s'");
    assertThatThrownBy(() -> line("--orphan-older-than", "soon").positiveDuration("--orphan-older-than"))
        .isInstanceOf(CommandLine.UsageException.class)
        .hasMessage("--orphan-older-than expects a duration such as 30s or 2min, got 'soon'");
  }
}
