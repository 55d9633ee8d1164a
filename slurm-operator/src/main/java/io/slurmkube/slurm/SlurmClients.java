package io.slurmkube.slurm;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/** Connects to slurmrestd and picks the adapter for the newest API version it serves. */
public final class SlurmClients {
  /** Newest first. A later Slurm's API is one more adapter here. */
  private static final List<Adapter> ADAPTERS = SlurmRestApi.VERSIONS.stream()
      .map(version -> new Adapter(version, (Function<RestTransport, SlurmClient>) rest -> new SlurmRestApi(version, rest)))
      .toList();

  private record Adapter(String version, Function<RestTransport, SlurmClient> create) {}

  private SlurmClients() {}

  /** The API versions this client has adapters for, newest first. */
  public static List<String> supportedVersions() {
    return ADAPTERS.stream().map(Adapter::version).toList();
  }

  public static SlurmClient connect(URI baseUri, JwtSigner signer) {
    return connect(baseUri, signer, Duration.ofSeconds(10), RetryPolicy.defaults());
  }

  /**
   * Asks slurmrestd which versions it serves (a ping on each, newest first; 404 means not served)
   * and returns the adapter for the first one it answers.
   *
   * @throws SlurmUnavailableException when slurmrestd cannot be reached or serves none of them
   * @throws SlurmAuthException when the token is refused
   */
  public static SlurmClient connect(URI baseUri, JwtSigner signer, Duration requestTimeout, RetryPolicy retry) {
    RestTransport rest = transport(baseUri, signer, requestTimeout, retry);
    for (Adapter adapter : ADAPTERS) {
      try {
        rest.get("/slurm/" + adapter.version() + "/ping");
        return adapter.create().apply(rest);
      } catch (SlurmRequestException e) {
        if (e.status() != 404) {
          throw e;
        }
      }
    }
    throw new SlurmUnavailableException("slurmrestd at " + baseUri + " serves none of the API versions "
        + supportedVersions() + " this client knows", null);
  }

  /** The adapter for one version, without asking the server (tests, and callers that pin a version). */
  public static SlurmClient forVersion(String version, URI baseUri, JwtSigner signer, Duration requestTimeout,
      RetryPolicy retry) {
    RestTransport rest = transport(baseUri, signer, requestTimeout, retry);
    return ADAPTERS.stream().filter(a -> a.version().equals(version)).findFirst()
        .map(a -> a.create().apply(rest))
        .orElseThrow(() -> new IllegalArgumentException("no adapter for slurmrestd API " + version
            + "; known: " + supportedVersions()));
  }

  /**
   * The accounting client for slurmdbd through slurmrestd's {@code /slurmdb/} API of the version a
   * {@link SlurmClient} speaks (its {@link SlurmClient#apiVersion()}, e.g. {@code v0.0.45}).
   *
   * @param slurmClusterName the ClusterName in slurm.conf, which associations belong to
   */
  public static SlurmAccounting accounting(String apiVersion, URI baseUri, JwtSigner signer, String slurmClusterName) {
    return accounting(apiVersion, baseUri, signer, slurmClusterName, Duration.ofSeconds(10), RetryPolicy.defaults());
  }

  public static SlurmAccounting accounting(String apiVersion, URI baseUri, JwtSigner signer, String slurmClusterName,
      Duration requestTimeout, RetryPolicy retry) {
    return new SlurmDbRestApi(apiVersion, slurmClusterName, transport(baseUri, signer, requestTimeout, retry));
  }

  /** slurmrestd speaks HTTP/1.1 only; keep-alive connections spare its per-connection reverse DNS lookup. */
  private static RestTransport transport(URI baseUri, JwtSigner signer, Duration requestTimeout, RetryPolicy retry) {
    HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(requestTimeout)
        .build();
    return new RestTransport(baseUri, signer, http, requestTimeout, retry);
  }
}
