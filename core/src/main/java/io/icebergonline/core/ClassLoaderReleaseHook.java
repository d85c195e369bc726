package io.icebergonline.core;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.security.AccessControlContext;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a TaskManager unload the job's classes when Flink releases the job's class loader (the job
 * ended, was cancelled, or restarts its tasks there). The libraries the job jar carries leave
 * threads and JVM shutdown hooks behind that keep the class loader, and so every class of the jar,
 * alive: on a session cluster each run, and each restart of a job, then takes another ~100 MB of
 * metaspace until the TaskManager dies of {@code OutOfMemoryError: Metaspace} (found by the
 * cluster tests at Flink's default 256 MB). What the tests found, each handled below: Iceberg's
 * worker pools and REST metrics reporter (exiting executors with a shutdown hook each), Hadoop's
 * statistics cleaner thread, the AWS SDK's idle-connection reaper and response timeout scheduler;
 * with Hadoop or commons-logging in lib/, their caches and threads holding the job's classes.
 */
public final class ClassLoaderReleaseHook implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ClassLoaderReleaseHook.class);
  private static final String HOOK_NAME = "iceberg-online-release-libraries";
  private static final String HADOOP_STATISTICS_CLEANER = "org.apache.hadoop.fs.FileSystem$Statistics$StatisticsDataReferenceCleaner";
  private static final String AWS_IDLE_CONNECTION_REAPER = "idle-connection-reaper";
  private static final String AWS_RESPONSE_TIMEOUT_SCHEDULER = "response-input-stream-timeout-scheduler";

  private final Set<ClassLoader> jobLoaders;

  private ClassLoaderReleaseHook(ClassLoader userCodeClassLoader) {
    Map<ClassLoader, Boolean> loaders = new IdentityHashMap<>();
    loaders.put(userCodeClassLoader, true);
    loaders.put(ClassLoaderReleaseHook.class.getClassLoader(), true);
    this.jobLoaders = loaders.keySet();
  }

  /**
   * Registers the hook for the job's class loader, once per class loader; a no-op where the job's
   * classes are the TaskManager's own (lib/, or a mini-cluster), which are never released.
   */
  public static void register(RuntimeContext context) {
    ClassLoader ours = ClassLoaderReleaseHook.class.getClassLoader();
    if (ours == ClassLoader.getSystemClassLoader() || ours == ClassLoader.getPlatformClassLoader()) {
      return;
    }
    context.registerUserCodeClassLoaderReleaseHookIfAbsent(HOOK_NAME,
        new ClassLoaderReleaseHook(context.getUserCodeClassLoader()));
  }

  @Override
  public void run() {
    int hooks = runShutdownHooksOfTheJob();
    int threads = stopLibraryThreadsOfTheJob();
    int detached = detachOtherThreadsFromTheJob();
    forgetTheJobsClassesInLibraryCaches();
    LOG.info("Released the job's libraries: {} shutdown hooks run and removed, {} library threads stopped, "
        + "{} threads of the TaskManager detached from the job's classes", hooks, threads, detached);
  }

  /**
   * Runs, and removes from the JVM, the shutdown hooks the job's classes registered (Guava's exiting
   * executors shut their pool down and wait for it; Hadoop's hook closes its file systems).
   */
  private int runShutdownHooksOfTheJob() {
    List<Thread> ofTheJob = new ArrayList<>();
    try {
      Field hooksField = Class.forName("java.lang.ApplicationShutdownHooks").getDeclaredField("hooks");
      hooksField.setAccessible(true);
      synchronized (Class.forName("java.lang.ApplicationShutdownHooks")) {
        Map<?, ?> hooks = (Map<?, ?>) hooksField.get(null);
        if (hooks == null) {
          return 0; // the JVM is shutting down and runs them itself
        }
        for (Object hook : hooks.keySet()) {
          if (ofTheJob((Thread) hook)) {
            ofTheJob.add((Thread) hook);
          }
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // java.lang not opened to this class loader (Flink's JVM options open it): the hooks stay, as before
      LOG.debug("Cannot list the JVM's shutdown hooks", e);
      return 0;
    }
    for (Thread hook : ofTheJob) {
      try {
        if (Runtime.getRuntime().removeShutdownHook(hook)) {
          hook.run();
        }
      } catch (RuntimeException | LinkageError e) {
        LOG.warn("Shutdown hook {} of the job failed", hook.getName(), e);
      }
    }
    return ofTheJob.size();
  }

  /**
   * Threads the libraries start from static state and no API stops: stopped through the job's own
   * copy of that state, and only where a thread of that name runs, so nothing of another job's
   * (or of lib/'s) copy is touched.
   */
  private int stopLibraryThreadsOfTheJob() {
    Set<String> running = new java.util.HashSet<>();
    Thread.getAllStackTraces().keySet().forEach(thread -> running.add(thread.getName()));
    int stopped = 0;
    if (running.contains(HADOOP_STATISTICS_CLEANER)) {
      // ends on interrupt
      Object cleaner = staticField("org.apache.hadoop.fs.FileSystem$Statistics", "STATS_DATA_CLEANER");
      if (cleaner instanceof Thread thread) {
        thread.interrupt();
        stopped++;
      }
    }
    if (running.contains(AWS_RESPONSE_TIMEOUT_SCHEDULER)) {
      Object scheduler = staticField("software.amazon.awssdk.core.ResponseInputStream$TimeoutScheduler", "INSTANCE");
      if (scheduler instanceof ExecutorService executor) {
        executor.shutdownNow();
        stopped++;
      }
    }
    if (running.contains(AWS_IDLE_CONNECTION_REAPER) && stopAwsIdleConnectionReaper()) {
      stopped++;
    }
    return stopped;
  }

  /**
   * Threads of the TaskManager's own libraries (lib/) that the job's code happened to start keep
   * the job's class loader: as their context class loader, or through the access control context
   * they inherited from the job's frames (Hadoop's statistics cleaner, started by the first job that
   * touches Hadoop's FileSystem from a connector jar in lib/, keeps that job's loader for good: cluster
   * tests). Both are reset, as the thread would have them had lib/ code started it. The inherited
   * context cannot be inspected without opening java.security, so it is reset where the thread was
   * the job's by its context class loader, and on Hadoop's cleaner.
   */
  private int detachOtherThreadsFromTheJob() {
    Field inheritedContext;
    try {
      inheritedContext = Thread.class.getDeclaredField("inheritedAccessControlContext");
      inheritedContext.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      inheritedContext = null; // java.lang not opened (Flink's JVM options open it): the context class loader is still reset
    }
    int detached = 0;
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (jobLoaders.contains(thread.getClass().getClassLoader())) {
        continue;
      }
      boolean startedByTheJob = jobLoaders.contains(thread.getContextClassLoader());
      if (startedByTheJob) {
        thread.setContextClassLoader(thread.getClass().getClassLoader());
      }
      if (inheritedContext != null && (startedByTheJob || thread.getName().equals(HADOOP_STATISTICS_CLEANER))) {
        try {
          inheritedContext.set(thread, new AccessControlContext(new ProtectionDomain[0]));
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.debug("Cannot reset the access control context of thread {}", thread.getName(), e);
        }
      }
      detached += startedByTheJob ? 1 : 0;
    }
    return detached;
  }

  /**
   * Static caches of the TaskManager's own libraries that hold the job's classes: Hadoop's
   * ReflectionUtils caches a constructor per class it instantiated (Parquet's codecs of the job jar,
   * when Hadoop is in lib/), and commons-logging (parent-first on Flink, from a jar in lib/) caches
   * the log factory it found through the job's class loader, for which it has its own release call.
   */
  private void forgetTheJobsClassesInLibraryCaches() {
    try {
      Method release = Class.forName("org.apache.commons.logging.LogFactory", false,
          ClassLoaderReleaseHook.class.getClassLoader()).getMethod("release", ClassLoader.class);
      for (ClassLoader loader : jobLoaders) {
        release.invoke(null, loader);
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.debug("No commons-logging to release the job's class loader from", e);
    }
    try {
      Class<?> reflectionUtils = Class.forName("org.apache.hadoop.util.ReflectionUtils", false,
          ClassLoaderReleaseHook.class.getClassLoader());
      Field cacheField = reflectionUtils.getDeclaredField("CONSTRUCTOR_CACHE");
      cacheField.setAccessible(true);
      if (cacheField.get(null) instanceof Map<?, ?> cache) {
        cache.keySet().removeIf(key -> key instanceof Class<?> type && jobLoaders.contains(type.getClassLoader()));
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.debug("No Hadoop constructor cache to clear", e);
    }
  }

  /** A static field of the job's copy of a library class; null if that class is not the job's or has no such field. */
  private static Object staticField(String className, String fieldName) {
    try {
      Class<?> type = Class.forName(className, true, ClassLoaderReleaseHook.class.getClassLoader());
      if (type.getClassLoader() != ClassLoaderReleaseHook.class.getClassLoader()) {
        return null; // the TaskManager's own copy (lib/): not the job's to stop
      }
      Field field = type.getDeclaredField(fieldName);
      field.setAccessible(true);
      return field.get(null);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.debug("Cannot read {}.{}", className, fieldName, e);
      return null;
    }
  }

  private static boolean stopAwsIdleConnectionReaper() {
    try {
      Class<?> reaperClass = Class.forName("software.amazon.awssdk.http.apache.internal.conn.IdleConnectionReaper",
          true, ClassLoaderReleaseHook.class.getClassLoader());
      if (reaperClass.getClassLoader() != ClassLoaderReleaseHook.class.getClassLoader()) {
        return false;
      }
      Object reaper = reaperClass.getMethod("getInstance").invoke(null);
      Field managersField = reaperClass.getDeclaredField("connectionManagers");
      managersField.setAccessible(true);
      Method deregister = null;
      for (Method method : reaperClass.getMethods()) {
        if (method.getName().equals("deregisterConnectionManager")) {
          deregister = method;
        }
      }
      if (deregister == null) {
        return false;
      }
      for (Object manager : new ArrayList<>(((Map<?, ?>) managersField.get(reaper)).keySet())) {
        deregister.invoke(reaper, manager); // the last one stops the reaper's thread
      }
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.debug("Cannot stop the AWS SDK's idle connection reaper", e);
      return false;
    }
  }

  private boolean ofTheJob(Thread thread) {
    return jobLoaders.contains(thread.getContextClassLoader()) || jobLoaders.contains(thread.getClass().getClassLoader());
  }
}
