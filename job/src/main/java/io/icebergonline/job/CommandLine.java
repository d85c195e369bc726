package io.icebergonline.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;

/**
 * The arguments of one subcommand: {@code --name value} options (given at most once, unless
 * declared repeatable), {@code --flag}s and, where the subcommand takes them, positional arguments;
 * anything else is refused.
 */
public final class CommandLine {
  private final Map<String, List<String>> options = new HashMap<>();
  private final Set<String> flags = new HashSet<>();
  private final List<String> positionals = new ArrayList<>();

  /** Thrown for arguments the subcommand does not take; the message says which and what is allowed. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }

  /** A subcommand without positional arguments or repeatable options. */
  public CommandLine(String[] args, Set<String> valueOptions, Set<String> flags) {
    this(args, valueOptions, Set.of(), flags, false);
  }

  public CommandLine(String[] args, Set<String> valueOptions, Set<String> repeatableOptions, Set<String> flags,
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

  public String option(String name) {
    List<String> values = options.get(name);
    return values == null ? null : values.get(0);
  }

  /** Every value of a repeatable option, in the order given. */
  public List<String> options(String name) {
    return options.getOrDefault(name, List.of());
  }

  public String required(String name) {
    String value = option(name);
    if (value == null) {
      throw new UsageException(name + " is required");
    }
    return value;
  }

  public boolean flag(String name) {
    return flags.contains(name);
  }

  public List<String> positionals() {
    return List.copyOf(positionals);
  }

  public int positiveInt(String name) {
    return parsed(name, Integer::parseInt, value -> value > 0, "a positive integer");
  }

  public long byteSize(String name) {
    return parsed(name, MemorySize::parseBytes, bytes -> bytes > 0, "a size such as 128MB or 512kb");
  }

  /** A duration of zero or more. */
  public Duration duration(String name) {
    return parsed(name, TimeUtils::parseDuration, value -> !value.isNegative(), "a duration such as 30s or 2min");
  }

  /** A duration greater than zero: zero is well-formed, so it is refused as a value out of range. */
  public Duration positiveDuration(String name) {
    Duration value = duration(name);
    if (value.isZero()) {
      throw new UsageException(name + " must be greater than 0, got '" + required(name) + "'");
    }
    return value;
  }

  /** The option's value parsed and checked, or a usage error saying what was expected. */
  private <T> T parsed(String name, Function<String, T> parse, Predicate<T> valid, String expected) {
    String text = required(name);
    try {
      T value = parse.apply(text);
      if (valid.test(value)) {
        return value;
      }
    } catch (IllegalArgumentException e) {
      // reported below (NumberFormatException included)
    }
    throw new UsageException(name + " expects " + expected + ", got '" + text + "'");
  }
}
