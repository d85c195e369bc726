package io.icebergonline.job.sql;

import io.icebergonline.core.Placeholders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.Operation;
import org.apache.flink.table.operations.QueryOperation;
import org.apache.flink.table.operations.StatementSetOperation;
import org.apache.flink.table.operations.command.SetOperation;
import org.apache.flink.util.ExceptionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs SQL scripts statement by statement in one table environment, as Flink's SQL client does:
 * {@code SET 'key' = 'value'} (session configuration), DDL and the like take effect at once, queries print their rows, and every
 * {@code INSERT} (or statement set) is submitted as its own job. {@link #awaitJobs()} then waits for
 * those jobs, so that a local run lasts as long as its jobs. Placeholders ({@code ${VAR}},
 * {@code ${VAR:-default}}) are resolved per statement; every failure names the script, the
 * statement and its line.
 */
public final class SqlRunner {
  private static final Logger LOG = LoggerFactory.getLogger(SqlRunner.class);

  private record SubmittedJob(String location, JobClient client) {}

  private final TableEnvironmentInternal tableEnv;
  private final Function<String, String> variables;
  private final List<SubmittedJob> jobs = new ArrayList<>();

  /** @param variables values of placeholders ({@code --set} first, then the environment) */
  public SqlRunner(TableEnvironment tableEnv, Function<String, String> variables) {
    // the SQL client's own way to tell queries from inserts: Flink's parser turns a statement into an operation
    this.tableEnv = (TableEnvironmentInternal) tableEnv;
    this.variables = variables;
  }

  public void run(Path file) throws IOException {
    run(file.toString(), Files.readString(file));
  }

  /** Runs a script given as text; {@code name} identifies it in messages. */
  public void run(String name, String script) {
    run(SqlScript.parse(name, script));
  }

  void run(SqlScript script) {
    for (SqlScript.Statement statement : script.statements()) {
      String location = script.name() + ", statement " + statement.number() + " (line " + statement.line() + ": "
          + statement.summary() + ")";
      String sql;
      try {
        sql = Placeholders.substitute(statement.text(), variables);
      } catch (Placeholders.UnsetVariableException e) {
        throw new SqlScriptException(location + ": " + e.getMessage() + "; set it in the environment or with --set "
            + e.variable() + "=VALUE");
      }
      execute(location, sql);
    }
  }

  private void execute(String location, String sql) {
    try {
      List<Operation> operations = tableEnv.getParser().parse(sql);
      for (Operation operation : operations) {
        if (operation instanceof SetOperation set && set.getKey().isPresent()) {
          // SET is a command of the SQL client, not of the table environment: apply it to the session
          tableEnv.getConfig().set(set.getKey().get(), set.getValue().orElse(""));
          continue;
        }
        TableResult result = tableEnv.executeInternal(operation);
        if (operation instanceof ModifyOperation || operation instanceof StatementSetOperation) {
          JobClient client = result.getJobClient().orElseThrow();
          LOG.info("Submitted job {} for {}", client.getJobID(), location);
          jobs.add(new SubmittedJob(location, client));
        } else if (operation instanceof QueryOperation || result.getResultKind() == ResultKind.SUCCESS_WITH_CONTENT) {
          result.print();
        }
      }
    } catch (RuntimeException e) {
      throw new SqlScriptException(location + ": " + describe(e), e);
    }
  }

  /** Waits for every job the scripts submitted; fails with the first failed job's statement and cause. */
  public void awaitJobs() throws InterruptedException {
    for (SubmittedJob job : jobs) {
      try {
        job.client().getJobExecutionResult().get();
        LOG.info("Job {} for {} finished", job.client().getJobID(), job.location());
      } catch (ExecutionException e) {
        throw new SqlScriptException("the job of " + job.location() + " failed: " + describe(e.getCause()), e);
      }
    }
  }

  /** The exception's message and, where it adds something, its root cause's message. */
  private static String describe(Throwable e) {
    Throwable root = ExceptionUtils.stripCompletionException(e);
    String message = String.valueOf(root.getMessage());
    Throwable cause = root;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    if (cause != root && cause.getMessage() != null && !message.contains(cause.getMessage())) {
      message = message + "\nCaused by: " + cause.getMessage();
    }
    return message;
  }
}
