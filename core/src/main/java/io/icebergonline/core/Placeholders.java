package io.icebergonline.core;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} placeholders, as in the job YAML and the SQL scripts:
 * one syntax for both, resolved from the environment (and, for scripts, {@code --set}).
 */
public final class Placeholders {
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  /** Thrown for a placeholder whose variable is unset and that has no default. */
  public static final class UnsetVariableException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String variable;

    UnsetVariableException(String variable) {
      super("variable " + variable + " is not set");
      this.variable = variable;
    }

    public String variable() {
      return variable;
    }
  }

  private Placeholders() {}

  /** {@code text} with every placeholder replaced by its variable's value, or else its default. */
  public static String substitute(String text, Function<String, String> variables) {
    Matcher matcher = REFERENCE.matcher(text);
    StringBuilder resolved = new StringBuilder();
    while (matcher.find()) {
      String value = variables.apply(matcher.group(1));
      if (value == null) {
        value = matcher.group(2);
      }
      if (value == null) {
        throw new UnsetVariableException(matcher.group(1));
      }
      matcher.appendReplacement(resolved, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(resolved);
    return resolved.toString();
  }
}
