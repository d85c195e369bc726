package io.icebergonline.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.netbeans.lib.profiler.heap.GCRoot;
import org.netbeans.lib.profiler.heap.Heap;
import org.netbeans.lib.profiler.heap.HeapFactory;
import org.netbeans.lib.profiler.heap.Instance;
import org.netbeans.lib.profiler.heap.JavaClass;
import org.netbeans.lib.profiler.heap.ObjectArrayInstance;
import org.netbeans.lib.profiler.heap.ObjectFieldValue;

/**
 * Chains of strong references in a heap dump from a GC root to class loaders: what keeps a job's
 * class loader alive through Java references (a thread, a shutdown hook, a static cache of a
 * class outside the job). Weak, soft, phantom and final references do not count: the collection
 * that {@code jmap -histo:live} runs clears them (TaskManagers here run with {@code
 * -XX:SoftRefLRUPolicyMSPerMB=0}). A loader alive with no such chain is held by what a heap dump
 * leaves out: the JVM's own handles, compiled code on a thread's stack, and the fields of {@code
 * java.lang.Class} objects (their {@code ClassValue} maps, cached constructors, enum constants),
 * which HotSpot's dump does not write; a chain through those is not found here. Read with the heap
 * dump reader of NetBeans' profiler, the engine of VisualVM's heap view.
 */
final class HeapPaths {
  private final Heap heap;

  private HeapPaths(Heap heap) {
    this.heap = heap;
  }

  /**
   * For each instance of {@code loaderClass} in the dump that a GC root reaches through strong
   * references (to the loader, a class it defined or an instance of one), the shortest chain,
   * root first; empty when none does.
   */
  static List<String> toLoaders(Path dump, String loaderClass) throws IOException {
    HeapPaths paths = new HeapPaths(HeapFactory.createHeap(new File(dump.toString())));
    return paths.toLoaders(loaderClass);
  }

  private List<String> toLoaders(String loaderClass) {
    JavaClass loaderType = heap.getJavaClassByName(loaderClass);
    Set<Long> loaders = new HashSet<>();
    if (loaderType != null) {
      for (Object instance : loaderType.getInstances()) {
        loaders.add(((Instance) instance).getInstanceId());
      }
    }
    Map<Long, Long> parent = new HashMap<>();
    Map<Long, String> rootKind = new HashMap<>();
    Deque<Long> queue = new ArrayDeque<>();
    for (Object object : heap.getGCRoots()) {
      GCRoot root = (GCRoot) object;
      if (root.getInstance() != null && parent.putIfAbsent(root.getInstance().getInstanceId(), 0L) == null) {
        rootKind.put(root.getInstance().getInstanceId(), root.getKind());
        queue.add(root.getInstance().getInstanceId());
      }
    }
    List<String> found = new ArrayList<>();
    Set<Long> reported = new HashSet<>();
    List<Long> targets = new ArrayList<>();
    while (!queue.isEmpty()) {
      long id = queue.poll();
      Long loader = loaderOf(id, loaders);
      if (loader != null) {
        if (reported.add(loader)) {
          found.add(describe(id, parent, rootKind));
        }
        continue;
      }
      targets.clear();
      strongReferences(id, targets);
      for (long target : targets) {
        if (parent.putIfAbsent(target, id) == null) {
          queue.add(target);
        }
      }
    }
    return found;
  }

  /** The loader among {@code loaders} that {@code id} is, defined, or whose class defined; null if none. */
  private Long loaderOf(long id, Set<Long> loaders) {
    if (loaders.contains(id)) {
      return id;
    }
    JavaClass type = heap.getJavaClassByID(id);
    if (type == null) {
      Instance instance = heap.getInstanceByID(id);
      type = instance == null ? null : instance.getJavaClass();
    }
    Instance definedBy = type == null ? null : type.getClassLoader();
    return definedBy != null && loaders.contains(definedBy.getInstanceId()) ? definedBy.getInstanceId() : null;
  }

  private void strongReferences(long id, List<Long> targets) {
    JavaClass type = heap.getJavaClassByID(id);
    if (type != null) {
      for (Object value : type.getStaticFieldValues()) {
        if (value instanceof ObjectFieldValue field && field.getInstance() != null) {
          targets.add(field.getInstance().getInstanceId());
        }
      }
      if (type.getClassLoader() != null) {
        targets.add(type.getClassLoader().getInstanceId());
      }
      if (type.getSuperClass() != null) {
        targets.add(type.getSuperClass().getJavaClassId());
      }
      return;
    }
    Instance instance = heap.getInstanceByID(id);
    if (instance == null) {
      return;
    }
    boolean reference = isReference(instance.getJavaClass());
    for (Object value : instance.getFieldValues()) {
      if (value instanceof ObjectFieldValue field && field.getInstance() != null
          && !(reference && field.getField().getName().equals("referent"))) {
        targets.add(field.getInstance().getInstanceId());
      }
    }
    if (instance instanceof ObjectArrayInstance array) {
      for (Object element : array.getValues()) {
        if (element instanceof Instance value) {
          targets.add(value.getInstanceId());
        }
      }
    }
    targets.add(instance.getJavaClass().getJavaClassId());
  }

  private static boolean isReference(JavaClass type) {
    for (JavaClass at = type; at != null; at = at.getSuperClass()) {
      if (at.getName().equals("java.lang.ref.Reference")) {
        return true;
      }
    }
    return false;
  }

  private String describe(long id, Map<Long, Long> parent, Map<Long, String> rootKind) {
    List<String> chain = new ArrayList<>();
    for (long at = id; at != 0L; at = parent.get(at)) {
      JavaClass type = heap.getJavaClassByID(at);
      Instance instance = type == null ? heap.getInstanceByID(at) : null;
      String name = type != null ? "class " + type.getName() : instance == null ? "#" + at : instance.getJavaClass().getName();
      chain.add(0, rootKind.containsKey(at) ? name + " (GC root: " + rootKind.get(at) + ")" : name);
    }
    return String.join(" -> ", chain);
  }
}
