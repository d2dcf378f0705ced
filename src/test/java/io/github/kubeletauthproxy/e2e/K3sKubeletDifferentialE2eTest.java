package io.github.kubeletauthproxy.e2e;

/**
 * The differential suite against k3s in Docker (Testcontainers), where a Docker engine exists. On machines
 * without one it is skipped with a message; the real local node runs the same suite there.
 */
@OnK3s
class K3sKubeletDifferentialE2eTest extends KubeletDifferentialE2eTest {
}
