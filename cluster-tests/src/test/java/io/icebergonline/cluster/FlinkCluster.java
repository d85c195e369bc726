package io.icebergonline.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A Flink standalone session cluster of separate JVMs: a JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code TaskManagerRunner}) on the
 * class path Maven assembled in {@code flink-cluster/target/lib} (what flink-dist's lib/ holds),
 * started as flink-dist's scripts would start them, each logging to its own file under the work
 * directory. The job is driven over Flink's REST API, as the web UI, REST clients and the
 * Kubernetes operator drive it.
 */
final class FlinkCluster implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  private static final String USER_CODE_CLASS_LOADER = "org.apache.flink.util.ChildFirstClassLoader";

  private final Path work;
  private final List<Path> classPath;
  private final Path conf;
  private final Map<String, String> environment;
  private final int restPort;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Process jobManager;
  private Process sqlGateway;
  private final Map<String, Process> taskManagers = new LinkedHashMap<>();
  private int taskManagersStarted;

  /**
   * @param flinkConfiguration the cluster's config.yaml entries (the chart's flinkConfiguration
   *     with the test's directories); ports, hosts and TaskManager sizes are added here
   * @param environment set on every process, as the chart's env and secretEnv set it on the pods
   */
  private FlinkCluster(Path work, List<Path> classPath, Map<String, String> flinkConfiguration,
      Map<String, String> environment) throws IOException {
    this.work = work;
    this.classPath = classPath;
    this.conf = Files.createDirectories(work.resolve("conf"));
    Files.createDirectories(work.resolve("log"));
    this.environment = environment;
    this.restPort = freePort();
    Map<String, String> config = new LinkedHashMap<>();
    config.put("jobmanager.rpc.address", "localhost");
    config.put("jobmanager.rpc.port", Integer.toString(freePort()));
    config.put("jobmanager.bind-host", "localhost");
    config.put("rest.address", "localhost");
    config.put("rest.bind-address", "localhost");
    config.put("rest.port", Integer.toString(restPort));
    config.put("taskmanager.host", "localhost");
    config.put("taskmanager.bind-host", "localhost");
    config.put("jobmanager.memory.process.size", "1024m");
    // what flink-dist's scripts compute (BashJavaUtils) and pass to a TaskManager: without them it does not start
    config.put("taskmanager.cpu.cores", "1");
    config.put("taskmanager.memory.framework.heap.size", "128m");
    config.put("taskmanager.memory.task.heap.size", "512m");
    config.put("taskmanager.memory.framework.off-heap.size", "128m");
    config.put("taskmanager.memory.task.off-heap.size", "64m");
    config.put("taskmanager.memory.network.min", "64m");
    config.put("taskmanager.memory.network.max", "64m");
    config.put("taskmanager.memory.managed.size", "128m");
    config.put("taskmanager.memory.jvm-metaspace.size", "256m");
    config.put("taskmanager.memory.jvm-overhead.min", "192m");
    config.put("taskmanager.memory.jvm-overhead.max", "192m");
    // a killed TaskManager is noticed in seconds (defaults: 10 s heartbeats, 50 s timeout)
    config.put("heartbeat.interval", "1000");
    config.put("heartbeat.timeout", "10000");
    config.put("web.upload.dir", Files.createDirectories(work.resolve("web-upload")).toString());
    config.putAll(flinkConfiguration);
    new YAMLMapper().writeValue(conf.resolve("config.yaml").toFile(), config);
    Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.file.ref = MainAppender",
        "appender.main.name = MainAppender",
        "appender.main.type = File",
        "appender.main.append = true",
        "appender.main.fileName = ${sys:log.file}",
        "appender.main.layout.type = PatternLayout",
        "appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
        "logger.kafka.name = org.apache.kafka",
        "logger.kafka.level = WARN",
        ""));
  }

  /**
   * @param classPath the lib/ of every process: directories (all their jars) and jars
   */
  static FlinkCluster start(Path work, List<Path> classPath, Map<String, String> flinkConfiguration,
      Map<String, String> environment, int taskManagers) throws Exception {
    FlinkCluster cluster = new FlinkCluster(work, classPath, flinkConfiguration, environment);
    try {
      for (int attempt = 1; !cluster.startJobManager(); attempt++) {
        // another process took a free port between the probe and the bind: try other ones
        if (attempt == 3) {
          throw new AssertionError("the JobManager exited at start; see " + work.resolve("log"));
        }
        cluster = new FlinkCluster(work, classPath, flinkConfiguration, environment);
      }
      for (int i = 0; i < taskManagers; i++) {
        cluster.startTaskManager();
      }
      return cluster;
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  /** Starts the JobManager: true once its REST endpoint answers, false if it died first. */
  private boolean startJobManager() throws Exception {
    jobManager = launch("jobmanager", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "-Xmx768m");
    return answersWhileAlive(jobManager, rest("/overview"), "the JobManager's REST endpoint");
  }

  /**
   * Polls {@code probe} until it answers 200 (true) or the process exits first (false, as when a
   * probed free port was taken before the process bound it); fails after the start timeout.
   */
  private boolean answersWhileAlive(Process process, URI probe, String what) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    IOException last = null;
    while (process.isAlive()) {
      try {
        if (http.send(HttpRequest.newBuilder(probe).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return true;
        }
      } catch (IOException notYet) {
        last = notYet;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " did not answer; see " + work.resolve("log"), last);
      }
      Thread.sleep(200);
    }
    return false;
  }

  Path work() {
    return work;
  }

  Path conf() {
    return conf;
  }

  int restPort() {
    return restPort;
  }

  /** Starts one more TaskManager and waits until the JobManager counts it; returns its name. */
  String startTaskManager() throws Exception {
    String name = "taskmanager-" + (++taskManagersStarted);
    int registered = taskManagers.size() + 1;
    Path tmp = Files.createDirectories(work.resolve("tmp").resolve(name));
    taskManagers.put(name, launch(name, "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
        // soft references cleared at every collection, so jmap -histo:live counts only what is strongly held
        "-Xmx640m", "-Xms640m", "-XX:MaxDirectMemorySize=256m", "-XX:MaxMetaspaceSize=256m", "-XX:SoftRefLRUPolicyMSPerMB=0",
        "-D", "io.tmp.dirs=" + tmp, "-D", "taskmanager.resource-id=" + name));
    awaitRest(registered + " TaskManagers", "/overview", overview -> overview.path("taskmanagers").asInt() >= registered);
    return name;
  }

  /**
   * Waits until no TaskManager holds a job's class loader any more (Flink's ChildFirstClassLoader,
   * counted by {@code jmap -histo:live}, which collects garbage first): what a TaskManager must reach
   * once its jobs ended, or every run leaks the job jar's classes into metaspace. A TaskManager that
   * still holds one is dumped and its dump searched for a chain of references from a GC root to the
   * loader ({@link HeapPaths}): such a chain, or more than one loader, fails. One loader that no
   * reference in the dump reaches is held by the JVM itself (loaded runs showed it about once in
   * five, every time a loader no Java object, thread or JNI handle referred to): reported, not failed.
   */
  void awaitNoUserCodeClassLoaders() throws Exception {
    Path jmap = Path.of(System.getProperty("java.home"), "bin", "jmap");
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Map<String, Integer> live = new LinkedHashMap<>();
    while (System.nanoTime() < deadline) {
      live.clear();
      for (Map.Entry<String, Process> taskManager : taskManagers.entrySet()) {
        Process histogram = new ProcessBuilder(jmap.toString(), "-histo:live", Long.toString(taskManager.getValue().pid()))
            .redirectErrorStream(true).start();
        String text = new String(histogram.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        histogram.waitFor();
        int count = 0;
        for (String line : text.split("\n")) {
          String[] columns = line.trim().split("\\s+");
          if (columns.length >= 4 && columns[3].equals(USER_CODE_CLASS_LOADER)) {
            count = Integer.parseInt(columns[1]);
          }
        }
        live.put(taskManager.getKey(), count);
      }
      if (live.values().stream().allMatch(count -> count == 0)) {
        return;
      }
      Thread.sleep(2_000);
    }
    List<String> held = new ArrayList<>();
    for (Map.Entry<String, Integer> taskManager : live.entrySet()) {
      if (taskManager.getValue() > 0) {
        String name = taskManager.getKey();
        String pid = Long.toString(taskManagers.get(name).pid());
        Path dump = work.resolve(name + ".hprof");
        Files.deleteIfExists(dump);
        jcmd(pid, work.resolve(name + "-threads.txt"), "Thread.print", "-l");
        jcmd(pid, work.resolve(name + "-classloaders.txt"), "VM.classloaders", "show-classes");
        jcmd(pid, work.resolve(name + "-jcmd.txt"), "GC.heap_dump", dump.toString());
        List<String> paths = HeapPaths.toLoaders(dump, USER_CODE_CLASS_LOADER);
        if (taskManager.getValue() > 1 || !paths.isEmpty()) {
          held.add(name + " holds " + taskManager.getValue() + " (heap dump " + dump + ", thread dump and class loader "
              + "tree beside it), through " + (paths.isEmpty() ? "no chain of references in the dump" : paths));
        } else {
          System.err.println("WARNING: " + name + " still holds one job class loader that no chain of references "
              + "in its heap dump reaches (held by the JVM itself); heap dump " + dump);
        }
      }
    }
    if (!held.isEmpty()) {
      throw new AssertionError("TaskManagers still hold job class loaders after their jobs ended: " + held);
    }
  }

  private static void jcmd(String pid, Path output, String... command) throws IOException, InterruptedException {
    List<String> arguments = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), pid));
    arguments.addAll(List.of(command));
    new ProcessBuilder(arguments).redirectErrorStream(true).redirectOutput(output.toFile()).start().waitFor();
  }

  /** SIGKILL, as when a node or pod dies: no shutdown hook runs. */
  void killTaskManager(String name) throws InterruptedException {
    Process process = taskManagers.remove(name);
    process.destroyForcibly();
    process.waitFor();
  }

  /** The TaskManagers (by the names {@link #startTaskManager} gave them) that run tasks of the job. */
  List<String> taskManagersOf(String jobId) throws IOException, InterruptedException {
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
      for (JsonNode taskManager : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/taskmanagers")
          .path("taskmanagers")) {
        names.add(taskManager.path("taskmanager-id").asText());
      }
    }
    return new ArrayList<>(names);
  }

  /**
   * Starts a JVM on the cluster's class path. For the JobManager and TaskManagers the arguments
   * after the options are Flink's ({@code --configDir}, {@code -D key=value}).
   */
  private Process launch(String name, String mainClass, String... arguments) throws IOException {
    List<String> command = new ArrayList<>(javaCommand(name));
    List<String> flinkArguments = new ArrayList<>();
    for (String argument : arguments) {
      if (argument.startsWith("-X")) {
        command.add(argument);
      } else {
        flinkArguments.add(argument);
      }
    }
    command.add(mainClass);
    command.add("--configDir");
    command.add(conf.toString());
    command.addAll(flinkArguments);
    return start(name, command);
  }

  /**
   * Starts Flink's SQL Gateway ({@code sql-gateway.sh start}: the cluster's class path plus the
   * gateway jar of opt/) against this cluster; returns its REST base URI once it answers.
   */
  URI startSqlGateway(Path gatewayJar) throws Exception {
    for (int attempt = 1; ; attempt++) {
      int port = freePort();
      List<String> command = new ArrayList<>(javaCommand("sql-gateway", List.of(gatewayJar)));
      command.add("-Xmx768m");
      command.addAll(List.of("org.apache.flink.table.gateway.SqlGateway",
          "-Dsql-gateway.endpoint.rest.address=localhost", "-Dsql-gateway.endpoint.rest.bind-address=localhost",
          "-Dsql-gateway.endpoint.rest.port=" + port, "-Dsql-gateway.endpoint.rest.bind-port=" + port));
      sqlGateway = start("sql-gateway", command);
      URI base = URI.create("http://localhost:" + port);
      if (answersWhileAlive(sqlGateway, base.resolve("/v1/info"), "the SQL Gateway")) {
        return base;
      }
      // another process took the free port between the probe and the bind: try another one
      if (attempt == 3) {
        throw new AssertionError("the SQL Gateway exited (code " + sqlGateway.exitValue() + "); see " + work.resolve("log"));
      }
    }
  }

  /** {@code java} with the options flink-dist's scripts give every Flink JVM, logging to log/NAME.log. */
  List<String> javaCommand(String name) {
    return javaCommand(name, List.of());
  }

  private List<String> javaCommand(String name, List<Path> extraClassPath) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(System.getProperty("flink.add-opens", "").trim().split("\\s+")).stream()
        .filter(option -> !option.isEmpty()).toList());
    command.add("-XX:+IgnoreUnrecognizedVMOptions");
    command.add("-Dlog.file=" + work.resolve("log").resolve(name + ".log"));
    command.add("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri());
    List<String> entries = new ArrayList<>();
    for (Path entry : classPath) {
      entries.add(Files.isDirectory(entry) ? entry.resolve("*").toString() : entry.toString());
    }
    extraClassPath.forEach(entry -> entries.add(entry.toString()));
    command.add("-cp");
    command.add(String.join(java.io.File.pathSeparator, entries));
    return command;
  }

  /** Starts a process with the cluster's environment; its stdout and stderr go to log/NAME.out. */
  Process start(String name, List<String> command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("log").resolve(name + ".out").toFile()));
    builder.environment().putAll(environment);
    builder.environment().put("FLINK_CONF_DIR", conf.toString());
    return builder.start();
  }

  // ---- REST ----

  JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(rest(path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    return answer("GET " + path, response);
  }

  JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
    HttpResponse<String> response = postRaw(path, body);
    return answer("POST " + path, response);
  }

  HttpResponse<String> postRaw(String path, JsonNode body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(rest(path)).timeout(Duration.ofMinutes(2))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** {@code POST /jars/upload}, multipart as the web UI sends it; returns the jar id. */
  String uploadJar(Path jar) throws IOException, InterruptedException {
    String boundary = "----iceberg-online-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
        + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(Files.readAllBytes(jar));
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(rest("/jars/upload")).timeout(Duration.ofMinutes(2))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
        HttpResponse.BodyHandlers.ofString());
    String filename = answer("POST /jars/upload", response).path("filename").asText();
    return Path.of(filename).getFileName().toString();
  }

  /** {@code POST /jars/:id/run}: the entry class's main() runs in the JobManager; returns the job id. */
  String runJar(String jarId, String entryClass, List<String> args, int parallelism, String savepointPath)
      throws IOException, InterruptedException {
    ObjectNode request = JSON.createObjectNode();
    request.put("entryClass", entryClass);
    request.set("programArgsList", JSON.valueToTree(args));
    request.put("parallelism", parallelism);
    if (savepointPath != null) {
      request.put("savepointPath", savepointPath);
    }
    return post("/jars/" + jarId + "/run", request).path("jobid").asText();
  }

  String jobState(String jobId) throws IOException, InterruptedException {
    return get("/jobs/" + jobId).path("state").asText();
  }

  /** Waits until the job is RUNNING with all its tasks running (so checkpoints can complete). */
  void awaitRunning(String jobId) throws Exception {
    awaitRest("job " + jobId + " running with every task running", "/jobs/" + jobId, job -> {
      failIfEnded(jobId, job);
      if (!job.path("state").asText().equals("RUNNING")) {
        return false;
      }
      for (JsonNode vertex : job.path("vertices")) {
        if (!vertex.path("status").asText().equals("RUNNING")) {
          return false;
        }
      }
      return true;
    });
  }

  /** Waits until the job has completed {@code count} checkpoints in all. */
  void awaitCheckpoints(String jobId, int count) throws Exception {
    awaitRest(count + " completed checkpoints of job " + jobId, "/jobs/" + jobId + "/checkpoints", checkpoints -> {
      try {
        failIfEnded(jobId, get("/jobs/" + jobId));
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return checkpoints.path("counts").path("completed").asInt() >= count;
    });
  }

  /** Throws with the job's root exception if it reached a terminal state. */
  void failIfEnded(String jobId, JsonNode job) {
    String state = job.path("state").asText();
    if (List.of("FAILED", "CANCELED", "FINISHED").contains(state)) {
      throw new AssertionError("job " + jobId + " is " + state + ": " + rootException(jobId));
    }
  }

  /** The job's failures so far (Flink's exception history), each as its stack trace. */
  List<String> exceptions(String jobId) throws IOException, InterruptedException {
    List<String> failures = new ArrayList<>();
    get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries")
        .forEach(entry -> failures.add(entry.path("stacktrace").asText()));
    return failures;
  }

  String rootException(String jobId) {
    try {
      JsonNode history = get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries");
      return history.isEmpty() ? "(no exception)" : history.get(0).path("stacktrace").asText();
    } catch (IOException | InterruptedException e) {
      return "(exceptions unavailable: " + e + ")";
    }
  }

  /** Stop-with-savepoint over REST; returns the savepoint's path once the job is stopped. */
  String stopWithSavepoint(String jobId, Path directory) throws Exception {
    ObjectNode request = JSON.createObjectNode();
    request.put("targetDirectory", directory.toUri().toString());
    request.put("drain", false);
    String trigger = post("/jobs/" + jobId + "/stop", request).path("request-id").asText();
    JsonNode done = awaitRest("the savepoint of job " + jobId, "/jobs/" + jobId + "/savepoints/" + trigger,
        status -> status.path("status").path("id").asText().equals("COMPLETED"));
    JsonNode operation = done.path("operation");
    if (operation.has("failure-cause")) {
      throw new AssertionError("stop-with-savepoint failed: " + operation.path("failure-cause"));
    }
    return operation.path("location").asText();
  }

  void cancel(String jobId) throws Exception {
    http.send(HttpRequest.newBuilder(rest("/jobs/" + jobId + "?mode=cancel")).method("PATCH",
        HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    awaitRest("job " + jobId + " canceled", "/jobs/" + jobId,
        job -> List.of("CANCELED", "FAILED", "FINISHED").contains(job.path("state").asText()));
  }

  /** Polls a REST path until the condition holds; fails naming what it waited for. */
  JsonNode awaitRest(String what, String path, Predicate<JsonNode> condition) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (jobManager != null && !jobManager.isAlive()) {
        throw new AssertionError("the JobManager process exited (code " + jobManager.exitValue() + ") while waiting for "
            + what + "; see " + work.resolve("log"));
      }
      try {
        JsonNode answer = get(path);
        if (condition.test(answer)) {
          return answer;
        }
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what + "; see " + work.resolve("log"), last);
  }

  boolean jobManagerAlive() {
    return jobManager.isAlive();
  }

  private URI rest(String path) {
    return URI.create("http://localhost:" + restPort + path);
  }

  private static JsonNode answer(String request, HttpResponse<String> response) throws IOException {
    if (response.statusCode() >= 300) {
      throw new IOException(request + " answered " + response.statusCode() + ": " + response.body());
    }
    return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The last lines of every process log, for a failing test's report. */
  String logTails(int lines) {
    StringBuilder tails = new StringBuilder();
    try (var files = Files.list(work.resolve("log"))) {
      for (Path file : files.sorted().toList()) {
        List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
        tails.append("==== ").append(file.getFileName()).append(" ====\n");
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(line -> tails.append(line).append('\n'));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tails.toString();
  }

  @Override
  public void close() throws Exception {
    if (sqlGateway != null) {
      sqlGateway.destroy();
    }
    for (Process taskManager : taskManagers.values()) {
      taskManager.destroy();
    }
    if (jobManager != null) {
      jobManager.destroy();
    }
    for (Process process : allProcesses()) {
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private List<Process> allProcesses() {
    List<Process> all = new ArrayList<>(taskManagers.values());
    if (sqlGateway != null) {
      all.add(sqlGateway);
    }
    if (jobManager != null) {
      all.add(jobManager);
    }
    return all;
  }
}
