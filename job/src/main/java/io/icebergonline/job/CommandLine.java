package io.icebergonline.job;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The arguments of one subcommand: {@code --name value} options and {@code --flag}s; anything else is refused. */
final class CommandLine {
  private final Map<String, String> options = new HashMap<>();
  private final Set<String> flags;

  /** Thrown for arguments the subcommand does not take; the message says which and what is allowed. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  CommandLine(String[] args, Set<String> valueOptions, Set<String> flags) {
    this.flags = new HashSet<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (valueOptions.contains(arg)) {
        if (i + 1 >= args.length) {
          throw new UsageException(arg + " needs a value");
        }
        options.put(arg, args[++i]);
      } else if (flags.contains(arg)) {
        this.flags.add(arg);
      } else if (arg.startsWith("--")) {
        throw new UsageException("unknown option " + arg + "; expected one of " + new TreeSet<>(union(valueOptions, flags)));
      } else {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
    }
  }

  String option(String name) {
    return options.get(name);
  }

  String required(String name) {
    String value = options.get(name);
    if (value == null) {
      throw new UsageException(name + " is required");
    }
    return value;
  }

  boolean flag(String name) {
    return flags.contains(name);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return all;
  }
}
