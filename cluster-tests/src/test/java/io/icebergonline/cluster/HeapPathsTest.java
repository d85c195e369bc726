package io.icebergonline.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chains from GC roots to class loaders in a heap dump of this JVM: a loader a static field holds
 * is reached, through that field; one only a weak reference points to is not, though the dump
 * still has it (taken without collecting garbage first).
 */
class HeapPathsTest {
  /** A class loader of its own type, so the dump has no other instance of it. */
  static final class HeldLoader extends ClassLoader {}

  /** A class loader of another type, which only a weak reference reaches. */
  static final class DroppedLoader extends ClassLoader {}

  private static HeldLoader held;

  @TempDir Path directory;

  @Test
  void aLoaderAStaticFieldHoldsIsReachedThroughItAndOneOnlyAWeakReferenceReachesIsNot() throws Exception {
    held = new HeldLoader();
    WeakReference<DroppedLoader> dropped = new WeakReference<>(new DroppedLoader());
    Path dump = directory.resolve("this.hprof");
    ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(dump.toString(), false);

    List<String> toHeld = HeapPaths.toLoaders(dump, HeldLoader.class.getName());
    List<String> toDropped = HeapPaths.toLoaders(dump, DroppedLoader.class.getName());

    assertThat(toHeld).singleElement().asString()
        .contains("class " + HeapPathsTest.class.getName())
        .endsWith(HeldLoader.class.getName());
    assertThat(toDropped).isEmpty();
    assertThat(held).isNotNull();
    assertThat(dropped).isNotNull();
  }
}
