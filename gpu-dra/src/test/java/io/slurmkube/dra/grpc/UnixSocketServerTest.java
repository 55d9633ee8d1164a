package io.slurmkube.dra.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketServerTest {

  @TempDir Path dir;
  final EpollEventLoopGroup group = new EpollEventLoopGroup(1);

  @AfterEach
  void stop() {
    group.shutdownGracefully().syncUninterruptibly();
  }

  RegistrationService service() {
    return new RegistrationService("gpu.slurmkube.io", dir.resolve("dra.sock"), () -> { });
  }

  @Test
  void anEmptyDirectoryInTheWayIsReplacedAndTheSocketRemovedOnClose() throws Exception {
    Path socket = Files.createDirectories(dir.resolve("sub/reg.sock"));

    try (UnixSocketServer server = UnixSocketServer.start(socket, group, List.of(service()));
        FakeKubelet kubelet = new FakeKubelet()) {
      assertThat(kubelet.getInfo(socket).getName()).isEqualTo("gpu.slurmkube.io");
    }

    assertThat(socket).doesNotExist();
  }

  @Test
  void aNonEmptyDirectoryInTheWayIsNotDeletedButNamedInTheError() throws Exception {
    Path socket = Files.createDirectories(dir.resolve("reg.sock"));
    Files.writeString(socket.resolve("keep-me"), "data");

    assertThatThrownBy(() -> UnixSocketServer.start(socket, group, List.of(service())))
        .hasMessageContaining("cannot listen on " + socket + ": a non-empty directory is in the way");
    assertThat(socket.resolve("keep-me")).exists();
  }
}
