package io.github.kubeletauthproxy.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A command's arguments as the proxy's commands take them: options as {@code --name=value} or {@code --name value},
 * in the order given, and the positional arguments.
 */
record CommandLine(List<Option> options, List<String> positional) {

    record Option(String name, String value) {

        /** {@code true} or {@code false}, nothing else. */
        boolean asBoolean() {
            if (!value.equals("true") && !value.equals("false")) {
                throw new IllegalArgumentException(name + " takes true or false, got '" + value + "'");
            }
            return Boolean.parseBoolean(value);
        }
    }

    static CommandLine parse(String[] args) {
        List<Option> options = new ArrayList<>();
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            int equals = arg.indexOf('=');
            if (!arg.startsWith("--")) {
                positional.add(arg);
            } else if (equals > 0) {
                options.add(new Option(arg.substring(0, equals), arg.substring(equals + 1)));
            } else if (i + 1 < args.length) {
                options.add(new Option(arg, args[++i]));
            } else {
                throw new IllegalArgumentException(arg + " needs a value");
            }
        }
        return new CommandLine(List.copyOf(options), List.copyOf(positional));
    }
}
