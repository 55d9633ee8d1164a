package io.slurmkube.slurm;

import io.slurmkube.api.NodeSetSpec;
import io.slurmkube.api.PartitionSpec;
import io.slurmkube.api.SlurmClusterSpec;
import io.slurmkube.model.PodSecurity;
import io.slurmkube.model.PodSecurity.Daemon;
import io.slurmkube.model.SlurmConfig;
import io.slurmkube.model.SlurmHosts;
import io.slurmkube.model.SlurmRelease;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import com.github.dockerjava.api.model.Capability;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Slurm cluster in containers of the project's own images, configured by the operator's
 * own renderer: MariaDB, slurmdbd, slurmctld, slurmrestd and two dynamic slurmd nodes (demo-cpu-0
 * and demo-gpu-0, the latter with two simulated GPUs), on a network of their own on the project's
 * dockerd. Everything it creates is removed by {@link #close()}.
 */
final class SlurmTestCluster implements AutoCloseable {
  static final String CLUSTER = "demo";
  static final String CPU_NODE = "demo-cpu-0";
  static final String GPU_NODE = "demo-gpu-0";
  /**
   * The Slurm release the images are built for (-Dslurmkube.it.slurmRelease=24.11: the older release
   * the suite also runs on; e2e/substrate/versions.env lists those that can be built).
   */
  static final String RELEASE = System.getProperty("slurmkube.it.slurmRelease", "26.05");
  /** The images' tag; another (-Dslurmkube.it.slurmTag=...) keeps a test's images apart from a parallel run's. */
  static final String IMAGE_TAG = System.getProperty("slurmkube.it.slurmTag", RELEASE);
  static final String CONTROL_IMAGE = "slurmkube.local/slurmctld:" + IMAGE_TAG;
  static final String NODE_IMAGE = "slurmkube.local/slurmd:" + IMAGE_TAG;
  private static final String DB_PASSWORD = "test-db-password";

  private final Path work;
  private final String extraSlurmConf;
  private final byte[] jwtKey;
  private final boolean startedDocker;
  private final Network network;
  private final List<GenericContainer<?>> containers = new ArrayList<>();
  final GenericContainer<?> accounting;
  final GenericContainer<?> controller;
  final GenericContainer<?> restApi;
  final GenericContainer<?> cpuNode;
  final GenericContainer<?> gpuNode;
  final GenericContainer<?> login;
  /** The queue reader, as the slurmctld pod runs it: the slurm user, no key, slurmctld's run directory shared. */
  final GenericContainer<?> queueReader;
  final URI restUri;
  final URI queueReaderUri;

  static SlurmRelease release() {
    return SlurmRelease.parse(RELEASE);
  }

  /** The node sets and partition the tests run: cpu (up to 4 nodes) and gpu (up to 2, 2 GPUs each). */
  static SlurmClusterSpec spec() {
    var spec = new SlurmClusterSpec();
    spec.image = CONTROL_IMAGE;
    spec.nodeImage = NODE_IMAGE;
    var cpu = nodeSet("cpu", 4, 0);
    var gpu = nodeSet("gpu", 2, 2);
    spec.nodeSets.addAll(List.of(cpu, gpu));
    var batch = new PartitionSpec();
    batch.name = "batch";
    batch.isDefault = true;
    batch.nodeSets.addAll(List.of("cpu", "gpu"));
    spec.partitions.add(batch);
    return spec;
  }

  private static NodeSetSpec nodeSet(String name, int maxReplicas, int gpus) {
    var nodeSet = new NodeSetSpec();
    nodeSet.name = name;
    nodeSet.replicas = 1;
    nodeSet.maxReplicas = maxReplicas;
    nodeSet.cpus = 2;
    nodeSet.memoryMiB = 1024;
    nodeSet.gpus = gpus;
    return nodeSet;
  }

  /**
   * @param extraSlurmConf lines appended to the rendered slurm.conf (the benchmark raises MaxJobCount)
   */
  SlurmTestCluster(String extraSlurmConf) throws Exception {
    this.extraSlurmConf = extraSlurmConf;
    startedDocker = ensureDocker();
    String root = projectRoot().toString();
    loadImage(root + "/slurmctld-image", CONTROL_IMAGE);
    loadImage(root + "/slurmd-image", NODE_IMAGE);

    work = Files.createTempDirectory("slurmkube-it");
    Path config = Files.createDirectories(work.resolve("config"));
    Path secrets = Files.createDirectories(work.resolve("secrets"));
    // slurmctld's /run/slurmctld, shared with the queue reader as the pod's emptyDir: its sack socket.
    Files.createDirectories(work.resolve("run"));
    var random = new SecureRandom();
    byte[] authKey = new byte[64];
    random.nextBytes(authKey);
    jwtKey = new byte[32];
    random.nextBytes(jwtKey);
    Files.write(secrets.resolve("slurm.key"), authKey);
    Files.write(secrets.resolve("jwt_hs256.key"), jwtKey);
    Files.writeString(secrets.resolve("db-password"), DB_PASSWORD);
    var hosts = new SlurmHosts("slurmctld", "slurmctld", "slurmdbd", "db");
    for (Map.Entry<String, String> file : SlurmConfig.render(CLUSTER, spec(), hosts, release()).entrySet()) {
      String text = file.getValue();
      if (file.getKey().equals(SlurmConfig.SLURM_CONF)) {
        text += extraSlurmConf;
      }
      Files.writeString(config.resolve(file.getKey()), text);
    }

    network = Network.newNetwork();
    try {
      // slurmrestd looks up the name of every client address; the test runner comes from the
      // network's gateway, which only /etc/hosts can name (docker's DNS would forward and time out).
      String gateway = DockerClientFactory.instance().client().inspectNetworkCmd().withNetworkId(network.getId()).exec()
          .getIpam().getConfig().get(0).getGateway();

      var database = secured(control("db", "database"), Daemon.DATABASE).withEnv("SLURMKUBE_DB_PASSWORD", DB_PASSWORD)
          .waitingFor(Wait.forLogMessage(".*ready for connections.*", 1).withStartupTimeout(Duration.ofMinutes(2)));
      start(database);
      accounting = secured(control("slurmdbd", "slurmdbd"), Daemon.SLURMDBD)
          .waitingFor(Wait.forLogMessage(".*slurmdbd version .* started.*", 1).withStartupTimeout(Duration.ofMinutes(2)));
      start(accounting);
      // Ready, as the pod's probe says, once the entrypoint has created the FUTURE placeholders.
      controller = secured(control("slurmctld", "slurmctld"), Daemon.SLURMCTLD)
          .withFileSystemBind(work.resolve("run").toString(), "/run/slurmctld", BindMode.READ_WRITE)
          .waitingFor(Wait.forLogMessage(".*placeholders applied: .*", 1).withStartupTimeout(Duration.ofMinutes(1)));
      start(controller);
      restApi = secured(control("slurmrestd", "slurmrestd"), Daemon.SLURMRESTD).withExtraHost("test-runner", gateway);
      start(restApi);
      // No secrets and no root, as in the pod (ControllerBuilder.queueReader).
      queueReader = secured(new GenericContainer<>(DockerImageName.parse(CONTROL_IMAGE)), Daemon.QUEUE_READER)
          .withNetwork(network)
          .withNetworkAliases("queue-reader")
          .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true).withMemory(256L * 1024 * 1024))
          .withFileSystemBind(work.resolve("config").toString(), "/etc/slurmkube/config", BindMode.READ_ONLY)
          .withFileSystemBind(work.resolve("run").toString(), "/run/slurmctld", BindMode.READ_WRITE)
          .withCommand("queue-reader")
          .waitingFor(Wait.forLogMessage(".*queue-reader: serving on.*", 1));
      start(queueReader);
      cpuNode = node(CPU_NODE, "cpu", 0);
      gpuNode = node(GPU_NODE, "gpu", 2);
      start(cpuNode);
      start(gpuNode);
      login = secured(slurmImage("login"), Daemon.LOGIN).withEnv("SLURM_CONF_SERVER", "slurmctld").withCommand("login")
          .waitingFor(Wait.forLogMessage(".*sackd serves the configuration.*", 1));
      start(login);
      restUri = URI.create("http://" + ipOf(restApi) + ":6820");
      queueReaderUri = URI.create("http://" + ipOf(queueReader) + ":6821");
      awaitTrue("slurmrestd answers", Duration.ofSeconds(60), () -> {
        try {
          client().ping();
          return true;
        } catch (SlurmException e) {
          return false;
        }
      });
      awaitTrue("both slurmd nodes are idle", Duration.ofSeconds(90),
          () -> sinfo().contains(CPU_NODE + " idle") && sinfo().contains(GPU_NODE + " idle"));
      awaitTrue("the login pod's client tools work", Duration.ofSeconds(30),
          () -> succeeds(login, "sinfo"));
      // Accounting is enforced (AccountingStorageEnforce=associations, the default with slurmdbd):
      // the tests' REST client submits as SlurmUser, which needs an association like any user.
      servedAccounting().get(0).putUser(new SlurmUser("slurm", "root", List.of("root")));
      awaitTrue("slurmctld knows the submitting user's association", Duration.ofSeconds(30),
          () -> exec(controller, "scontrol", "show", "assoc_mgr", "flags=users", "users=slurm").contains("UserName=slurm"));
    } catch (Exception | AssertionError e) {
      cleanUp();
      throw e;
    }
  }

  /**
   * Writes the files {@code SlurmConfig.render} makes of {@code spec} into the mounted
   * configuration directory, as the kubelet refreshes a ConfigMap's volume.
   */
  void rewriteConfig(SlurmClusterSpec spec) throws IOException {
    var hosts = new SlurmHosts("slurmctld", "slurmctld", "slurmdbd", "db");
    for (Map.Entry<String, String> file : SlurmConfig.render(CLUSTER, spec, hosts, release()).entrySet()) {
      String text = file.getKey().equals(SlurmConfig.SLURM_CONF) ? file.getValue() + extraSlurmConf : file.getValue();
      Files.writeString(work.resolve("config").resolve(file.getKey()), text);
    }
  }

  /** The directory mounted as the key Secrets in every container; a file written here is seen at once. */
  Path secretsDir() {
    return work.resolve("secrets");
  }

  /**
   * A login container (sackd) whose key Secret is {@code secrets} instead of the cluster's; not
   * started, and the caller closes it.
   */
  GenericContainer<?> loginWith(Path secrets) {
    return secured(new GenericContainer<>(DockerImageName.parse(NODE_IMAGE)), Daemon.LOGIN)
        .withNetwork(network)
        .withFileSystemBind(secrets.toString(), "/etc/slurmkube/secrets", BindMode.READ_ONLY)
        .withEnv("SLURM_CONF_SERVER", "slurmctld").withCommand("login");
  }

  /** Replaces a container by a new one of the same settings, as Kubernetes replaces a pod. */
  static void restart(GenericContainer<?> container) {
    container.stop();
    container.start();
  }

  /** The directory mounted as the ConfigMap. */
  Path configDir() {
    return work.resolve("config");
  }

  private GenericContainer<?> control(String name, String role) {
    return new GenericContainer<>(DockerImageName.parse(CONTROL_IMAGE))
        .withNetwork(network)
        .withNetworkAliases(name)
        .withCreateContainerCmdModifier(cmd -> cmd.withHostName(name))
        .withFileSystemBind(work.resolve("config").toString(), "/etc/slurmkube/config", BindMode.READ_ONLY)
        .withFileSystemBind(work.resolve("secrets").toString(), "/etc/slurmkube/secrets", BindMode.READ_ONLY)
        // Every container sees a Secret change at once here: no need to wait for the kubelet.
        .withEnv("SLURMKUBE_KEY_SETTLE_SECONDS", "10")
        .withCommand(role);
  }

  /** A container of the slurmd image, named, with the auth key mounted. */
  private GenericContainer<?> slurmImage(String name) {
    return new GenericContainer<>(DockerImageName.parse(NODE_IMAGE))
        .withNetwork(network)
        .withNetworkAliases(name)
        .withCreateContainerCmdModifier(cmd -> cmd.withHostName(name))
        .withFileSystemBind(work.resolve("secrets").toString(), "/etc/slurmkube/secrets", BindMode.READ_ONLY);
  }

  private GenericContainer<?> node(String name, String nodeSet, int gpus) {
    var node = secured(slurmImage(name), Daemon.SLURMD)
        .withEnv("SLURM_CONF_SERVER", "slurmctld")
        .withEnv("SLURM_NODESET", nodeSet)
        .withEnv("SLURM_CPUS", "2")
        .withEnv("SLURM_MEMORY_MIB", "1024")
        .withEnv("SLURM_GPUS", Integer.toString(gpus))
        .withCommand("slurmd")
        .waitingFor(Wait.forLogMessage(".*slurmd version .* started.*", 1));
    if (gpus > 0) {
      // This machine has no GPU: two character devices stand in for the ones DRA would give.
      node.withEnv("SLURM_GPU_DEVICES", "/dev/null /dev/zero");
    }
    return node;
  }

  /**
   * The container as the operator's pod runs it (PodSecurity): only the daemon's capabilities,
   * no privilege escalation, its user. (docker applies its default seccomp profile anyway.) So
   * every test of this cluster shows that the daemons work with what their pods are given.
   */
  static GenericContainer<?> secured(GenericContainer<?> container, Daemon daemon) {
    var context = PodSecurity.container(daemon);
    return container.withCreateContainerCmdModifier(cmd -> {
      var add = context.getCapabilities().getAdd() == null ? List.<String>of() : context.getCapabilities().getAdd();
      cmd.getHostConfig()
          .withCapDrop(Capability.ALL)
          .withCapAdd(add.stream().map(Capability::valueOf).toArray(Capability[]::new))
          .withSecurityOpts(List.of("no-new-privileges"));
      if (context.getRunAsUser() != null) {
        cmd.withUser(context.getRunAsUser() + ":" + context.getRunAsGroup());
      }
    });
  }

  private void start(GenericContainer<?> container) {
    containers.add(container);
    container.start();
  }

  /** A client signed with the cluster's JWT key, as the operator would make it. */
  SlurmClient client() {
    return client(Duration.ofSeconds(10));
  }

  SlurmClient client(Duration requestTimeout) {
    return SlurmClients.connect(restUri, new JwtSigner(jwtKey, "slurm"), requestTimeout, RetryPolicy.defaults());
  }

  /** The operator's client of the queue reader, with the operator's timeout and age limits. */
  QueueReaderClient queueReaderClient() {
    return new QueueReaderClient(queueReaderUri, Duration.ofSeconds(2), Duration.ofSeconds(30), java.time.Clock.systemUTC());
  }

  /** A client for each API version of {@link SlurmRestApi#VERSIONS} the server serves, newest first. */
  List<SlurmClient> servedClients() {
    List<SlurmClient> served = new ArrayList<>();
    for (String version : SlurmRestApi.VERSIONS) {
      SlurmClient client = SlurmClients.forVersion(version, restUri, new JwtSigner(jwtKey, "slurm"),
          Duration.ofSeconds(10), RetryPolicy.none());
      try {
        client.ping();
        served.add(client);
      } catch (SlurmRequestException e) {
        if (e.status() != 404) {
          throw e;
        }
      }
    }
    return served;
  }

  /** An accounting client (slurmdbd through slurmrestd) for each API version the server serves, newest first. */
  List<SlurmAccounting> servedAccounting() {
    return servedClients().stream().map(client -> SlurmClients.accounting(client.apiVersion(), restUri,
        new JwtSigner(jwtKey, "slurm"), CLUSTER, Duration.ofSeconds(10), RetryPolicy.none())).toList();
  }

  /** A client whose tokens are signed with some other key. */
  SlurmClient clientWithWrongKey() {
    byte[] other = new byte[32];
    new SecureRandom().nextBytes(other);
    return SlurmClients.forVersion(SlurmRestApi.VERSION, restUri, new JwtSigner(other, "slurm"), Duration.ofSeconds(10),
        RetryPolicy.none());
  }

  /** "name state" per line, as sinfo -N prints them. */
  String sinfo() {
    return exec(controller, "sinfo", "-N", "-h", "-o", "%N %T");
  }

  /** Runs a command in a container; fails the test when it exits non-zero. */
  static String exec(GenericContainer<?> container, String... command) {
    try {
      ExecResult result = container.execInContainer(command);
      if (result.getExitCode() != 0) {
        throw new AssertionError(String.join(" ", command) + " exited " + result.getExitCode() + ": "
            + result.getStderr() + result.getStdout());
      }
      return result.getStdout();
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static boolean succeeds(GenericContainer<?> container, String... command) {
    try {
      return container.execInContainer(command).getExitCode() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting until " + what);
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private String ipOf(GenericContainer<?> container) {
    return container.getContainerInfo().getNetworkSettings().getNetworks().values().iterator().next().getIpAddress();
  }

  /** The container's output so far, for failure messages. */
  static String logs(GenericContainer<?> container) {
    return container.getLogs();
  }

  @Override
  public void close() throws Exception {
    cleanUp();
  }

  /** Removes every container, the network and the files; stops the dockerd if this started it. */
  private void cleanUp() throws Exception {
    for (int i = containers.size() - 1; i >= 0; i--) {
      containers.get(i).stop();
    }
    containers.clear();
    network.close();
    deleteTree(work);
    if (startedDocker) {
      run(projectRoot().resolve("e2e/substrate/docker.sh").toString(), "down");
    }
  }

  // ---------------------------------------------------------------- images and the docker engine

  /** Starts the project's dockerd unless it runs (e2e/test-all.sh starts it); true when this did. */
  private static boolean ensureDocker() throws Exception {
    String docker = projectRoot().resolve("e2e/substrate/docker.sh").toString();
    if (runQuietly(docker, "status") == 0) {
      return false;
    }
    run(docker, "up");
    return true;
  }

  /**
   * Builds DIR into REF with e2e/substrate/images.sh (cached by the directory's content) and loads
   * the archive into the dockerd unless the image there is already that one.
   */
  private static void loadImage(String dir, String ref) throws Exception {
    String archive = run(projectRoot().resolve("e2e/substrate/images.sh").toString(), "build", dir, ref).strip();
    String manifest = run("tar", "-xOf", archive, "manifest.json");
    String wanted = manifest.replaceAll("(?s).*\"Config\":\"(?:blobs/sha256/)?([0-9a-f]{64})(?:\\.json)?\".*", "$1");
    String present = runQuietly("docker", "image", "inspect", "-f", "{{.Id}}", ref) == 0
        ? run("docker", "image", "inspect", "-f", "{{.Id}}", ref).strip() : "";
    if (!present.endsWith(wanted)) {
      run("docker", "load", "-q", "-i", archive);
    }
  }

  static Path projectRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("e2e/substrate/images.sh"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("cannot find the project root (e2e/substrate/images.sh) above " + System.getProperty("user.dir"));
    }
    return dir;
  }

  private static String run(String... command) throws Exception {
    var builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    // images.sh builds the Slurm images of this release.
    builder.environment().put("SLURM_RELEASE", RELEASE);
    Process process = builder.start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(15, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed");
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  private static int runQuietly(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return process.waitFor(1, TimeUnit.MINUTES) ? process.exitValue() : -1;
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
