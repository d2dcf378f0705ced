package io.github.kubeletauthproxy;

import java.util.Arrays;

import io.github.kubeletauthproxy.cli.ExplainCommand;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration;

/** Entry point: the proxy server, or {@code explain …} to print the reviews a request would cause. */
@SpringBootApplication(exclude = ReactiveUserDetailsServiceAutoConfiguration.class)
public class KubeletAuthProxyApplication {

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("explain")) {
            System.exit(ExplainCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        SpringApplication.run(KubeletAuthProxyApplication.class, args);
    }
}
