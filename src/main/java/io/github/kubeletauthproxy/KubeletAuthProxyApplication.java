package io.github.kubeletauthproxy;

import java.util.Arrays;

import io.github.kubeletauthproxy.cli.CheckInstallCommand;
import io.github.kubeletauthproxy.cli.ExplainCommand;
import io.github.kubeletauthproxy.cli.VersionCommand;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration;
import org.springframework.context.ApplicationListener;

/**
 * Entry point: the proxy server, {@code explain …} to print the reviews a request would cause, {@code check-install …}
 * (the chart's {@code helm test}: allowed and refused requests through an installed proxy), or {@code --version}.
 */
@SpringBootApplication(exclude = ReactiveUserDetailsServiceAutoConfiguration.class)
public class KubeletAuthProxyApplication {

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("explain")) {
            System.exit(ExplainCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("check-install")) {
            System.exit(CheckInstallCommand.run(Arrays.copyOfRange(args, 1, args.length), System.getenv(), System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("--version")) {
            System.exit(VersionCommand.run(System.out));
        }
        SpringApplication application = new SpringApplication(KubeletAuthProxyApplication.class);
        application.addListeners(new VersionLog());
        application.run(args);
    }

    /**
     * The version as the start's first line. Spring's own start line reads it from the jar's manifest, which the
     * image's class path (classes and libraries, no application jar) does not have.
     */
    static final class VersionLog implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

        @Override
        public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
            // after Spring Boot's logging listener (which orders itself first) has configured the logging
            LoggerFactory.getLogger(KubeletAuthProxyApplication.class)
                    .info(VersionCommand.describe(KubeletAuthProxyApplication.class.getClassLoader()));
        }
    }
}
