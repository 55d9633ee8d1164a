package io.slurmkube.dra.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server on a unix domain socket. Whatever is left at the socket path (the socket of a
 * previous run that was killed, or a stray file) is removed before binding, so a restart never
 * fails on "address already in use"; the socket file is removed again on close.
 */
public final class UnixSocketServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(UnixSocketServer.class);

  private final Path path;
  private final Server server;

  private UnixSocketServer(Path path, Server server) {
    this.path = path;
    this.server = server;
  }

  /** Binds {@code path} (creating its directory) and starts serving the given services. */
  public static UnixSocketServer start(Path path, EventLoopGroup group, List<?> services) throws IOException {
    Files.createDirectories(path.getParent());
    removeStale(path);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(group)
        .workerEventLoopGroup(group);
    for (Object service : services) {
      if (service instanceof BindableService bindable) {
        builder.addService(bindable);
      } else {
        builder.addService((ServerServiceDefinition) service);
      }
    }
    Server server = builder.build().start();
    LOG.info("serving {} on {}", server.getServices().stream().map(s -> s.getServiceDescriptor().getName()).toList(), path);
    return new UnixSocketServer(path, server);
  }

  static void removeStale(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      try (var entries = Files.list(path)) {
        if (entries.findAny().isPresent()) {
          throw new IOException("cannot listen on " + path + ": a non-empty directory is in the way");
        }
      }
    }
    LOG.warn("removing stale {} left at {}", Files.isDirectory(path) ? "directory" : "file", path);
    Files.delete(path);
  }

  public Path path() {
    return path;
  }

  /** Stops accepting calls, waits briefly for running ones, and removes the socket file. */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.warn("cannot remove socket {}: {}", path, e.getMessage());
    }
  }
}
