package io.github.kubeletauthproxy.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One source for what a user can set: the configuration metadata the build generates (descriptions from
 * ProxyProperties' {@code @param} tags, defaults from additional-spring-configuration-metadata.json) says what
 * application.yaml binds, and README's configuration table lists exactly its keys, in ProxyProperties' order, with its
 * defaults. A failure prints README's rows as they should be.
 */
class ConfigurationMetadataReadmeTest {

    static final Path METADATA = Path.of("target/classes/META-INF/spring-configuration-metadata.json");
    static final Path ADDITIONAL = Path.of("src/main/resources/META-INF/additional-spring-configuration-metadata.json");
    static final Path README = Path.of("README.md");
    static final String PREFIX = ProxyProperties.PREFIX + ".";
    static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| (.*?) \\| (.*) \\|$");
    static final Pattern LITERAL = Pattern.compile("^`([^`]*)`$");
    /** Settings without a default, given here so that the rest can bind. */
    static final Map<String, Object> REQUIRED = Map.of(PREFIX + "node-name", "n", PREFIX + "tls.cert-file", "c",
            PREFIX + "tls.key-file", "k", PREFIX + "upstream.ca-file", "ca");

    record Row(String key, String defaultCell, String meaning) {

        String text() {
            return "| `" + key + "` | " + defaultCell + " | " + meaning + " |";
        }
    }

    /** name → the property's metadata, in the file's order. */
    static Map<String, JsonNode> metadata() throws IOException {
        Map<String, JsonNode> properties = new LinkedHashMap<>();
        for (JsonNode property : JsonMapper.shared().readTree(METADATA.toFile()).get("properties")) {
            properties.put(property.get("name").asString(), property);
        }
        return properties;
    }

    /** The default as README and a property file write it: 10s, 32, true. */
    static String defaultOf(JsonNode property) {
        JsonNode value = property.get("defaultValue");
        return value == null ? null : value.isString() ? value.asString() : value.toString();
    }

    /** The setting keys of a settings record, in declaration order, nested records flattened. */
    static List<String> keys(Class<?> settings, String prefix) {
        List<String> keys = new ArrayList<>();
        for (RecordComponent component : settings.getRecordComponents()) {
            String key = prefix + component.getName().replaceAll("([A-Z])", "-$1").toLowerCase();
            if (component.getType().isRecord()) {
                keys.addAll(keys(component.getType(), key + "."));
            } else {
                keys.add(key);
            }
        }
        return keys;
    }

    /** Rows of README's configuration table, in README's order. */
    static List<Row> readmeRows() throws IOException {
        List<Row> rows = new ArrayList<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(README, StandardCharsets.UTF_8)) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Configuration");
            }
            Matcher row = ROW.matcher(line);
            if (inSection && row.matches()) {
                rows.add(new Row(row.group(1), row.group(2), row.group(3)));
            }
        }
        return rows;
    }

    static ProxyProperties bind(List<PropertySource<?>> sources) {
        MutablePropertySources all = new MutablePropertySources();
        all.addFirst(new MapPropertySource("required", REQUIRED));
        sources.forEach(all::addLast);
        return new Binder(ConfigurationPropertySources.from(all), new PropertySourcesPlaceholdersResolver(all))
                .bind(ProxyProperties.PREFIX, ProxyProperties.class).get();
    }

    static List<PropertySource<?>> applicationYaml() throws IOException {
        return new YamlPropertySourceLoader().load("application.yaml", new ClassPathResource("application.yaml"));
    }

    @Test
    void everySettingIsInTheMetadataWithADescription() throws IOException {
        Map<String, JsonNode> metadata = metadata();

        assertThat(metadata.keySet()).as("kubelet-auth-proxy keys in %s", METADATA)
                .containsExactlyInAnyOrderElementsOf(keys(ProxyProperties.class, PREFIX));
        metadata.forEach((key, property) -> assertThat(property.path("description").asString()).as(key).isNotBlank());
    }

    @Test
    void theGeneratedMetadataHasTheDefaultsOfTheAdditionalMetadata() throws IOException {
        Map<String, JsonNode> metadata = metadata();

        // the compiler runs the processor again only when a Java source changed, not for this file alone
        for (JsonNode additional : JsonMapper.shared().readTree(ADDITIONAL.toFile()).get("properties")) {
            String key = additional.get("name").asString();
            assertThat(metadata.containsKey(key) ? defaultOf(metadata.get(key)) : null)
                    .as("%s in %s (older than %s? ./mvnw clean compile)", key, METADATA, ADDITIONAL)
                    .isEqualTo(defaultOf(additional));
        }
    }

    @Test
    void theMetadatasDefaultsBindToWhatApplicationYamlBinds() throws IOException {
        Map<String, Object> defaults = new LinkedHashMap<>();
        metadata().forEach((key, property) -> {
            if (defaultOf(property) != null) {
                defaults.put(key, defaultOf(property));
            }
        });

        // equal records: every default the metadata names is the bound one, and a key it gives no default is empty
        // (or required) in application.yaml too
        assertThat(bind(List.of(new MapPropertySource("metadata defaults", defaults))))
                .as("bound from the metadata's defaults, expected as bound from application.yaml").isEqualTo(bind(applicationYaml()));
    }

    @Test
    void readmeListsEverySettingInOrderWithTheMetadatasDefault() throws IOException {
        Map<String, JsonNode> metadata = metadata();
        Map<String, Row> documented = new LinkedHashMap<>();
        for (Row row : readmeRows()) {
            if (row.key().startsWith(PREFIX)) {
                documented.put(row.key(), row);
            }
        }

        List<String> expected = new ArrayList<>();
        for (String key : keys(ProxyProperties.class, PREFIX)) {
            expected.add(expectedRow(key, metadata.get(key), documented.get(key)).text());
        }
        List<String> actual = documented.values().stream().map(Row::text).toList();

        assertThat(actual).as("README's configuration table drifted from %s; its %s rows should read:%n%s%n", METADATA,
                PREFIX + "*", String.join("\n", expected)).isEqualTo(expected);
    }

    /** README's row as it should be: the metadata's default, else README's own words (or "none"); its meaning kept. */
    static Row expectedRow(String key, JsonNode property, Row documented) {
        String value = property == null ? null : defaultOf(property);
        String defaultCell;
        if (value != null) {
            defaultCell = "`" + value + "`";
        } else if (documented != null && !LITERAL.matcher(documented.defaultCell()).matches()) {
            defaultCell = documented.defaultCell(); // words for "no default": (required), none, where it is looked up
        } else {
            defaultCell = "none";
        }
        String meaning = documented != null ? documented.meaning()
                : property == null ? "" : property.path("description").asString();
        return new Row(key, defaultCell, meaning);
    }

    @Test
    void readmesOtherKeysAreSpringsAndTheirDefaultsAreApplicationYamls() throws IOException {
        Set<String> springKeys = springMetadataKeys();
        Map<String, Object> yaml = new LinkedHashMap<>();
        for (PropertySource<?> source : applicationYaml()) {
            for (String name : ((MapPropertySource) source).getPropertyNames()) {
                yaml.put(name, String.valueOf(source.getProperty(name)));
            }
        }
        List<Row> others = readmeRows().stream().filter(row -> !row.key().startsWith(PREFIX)).toList();

        assertThat(others).as("README's other rows").isNotEmpty();
        for (Row row : others) {
            assertThat(springKeys.contains(row.key())).as("README names %s, a key no configuration metadata on the class path has",
                    row.key()).isTrue();
            Matcher literal = LITERAL.matcher(row.defaultCell());
            if (literal.matches()) {
                assertThat(yaml.get(row.key())).as(row.key() + " in application.yaml").isEqualTo(literal.group(1));
            }
        }
    }

    /** Every key of the configuration metadata on the class path (Spring Boot's modules, the actuator's...). */
    static Set<String> springMetadataKeys() throws IOException {
        Set<String> keys = new LinkedHashSet<>();
        for (URL url : Collections.list(ConfigurationMetadataReadmeTest.class.getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                JsonMapper.shared().readTree(in).path("properties").forEach(property -> keys.add(property.get("name").asString()));
            }
        }
        return keys;
    }
}
