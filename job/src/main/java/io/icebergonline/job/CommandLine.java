package io.icebergonline.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The arguments of one subcommand: {@code --name value} options (given at most once, unless
 * declared repeatable), {@code --flag}s and, where the subcommand takes them, positional arguments;
 * anything else is refused.
 */
final class CommandLine {
  private final Map<String, List<String>> options = new HashMap<>();
  private final Set<String> flags = new HashSet<>();
  private final List<String> positionals = new ArrayList<>();

  /** Thrown for arguments the subcommand does not take; the message says which and what is allowed. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** A subcommand without positional arguments or repeatable options. */
  CommandLine(String[] args, Set<String> valueOptions, Set<String> flags) {
    this(args, valueOptions, Set.of(), flags, false);
  }

  CommandLine(String[] args, Set<String> valueOptions, Set<String> repeatableOptions, Set<String> flags,
      boolean takesPositionals) {
    Set<String> allOptions = new HashSet<>(valueOptions);
    allOptions.addAll(repeatableOptions);
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (allOptions.contains(arg)) {
        if (i + 1 >= args.length) {
          throw new UsageException(arg + " needs a value");
        }
        List<String> values = options.computeIfAbsent(arg, name -> new ArrayList<>());
        if (!values.isEmpty() && !repeatableOptions.contains(arg)) {
          throw new UsageException(arg + " is given more than once");
        }
        values.add(args[++i]);
      } else if (flags.contains(arg)) {
        this.flags.add(arg);
      } else if (arg.startsWith("--")) {
        Set<String> allowed = new TreeSet<>(allOptions);
        allowed.addAll(flags);
        throw new UsageException("unknown option " + arg + "; expected one of " + allowed);
      } else if (takesPositionals) {
        positionals.add(arg);
      } else {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
    }
  }

  String option(String name) {
    List<String> values = options.get(name);
    return values == null ? null : values.get(0);
  }

  /** Every value of a repeatable option, in the order given. */
  List<String> options(String name) {
    return options.getOrDefault(name, List.of());
  }

  String required(String name) {
    String value = option(name);
    if (value == null) {
      throw new UsageException(name + " is required");
    }
    return value;
  }

  boolean flag(String name) {
    return flags.contains(name);
  }

  List<String> positionals() {
    return List.copyOf(positionals);
  }
}
