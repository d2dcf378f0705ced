package io.github.kubeletauthproxy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Packages point one way: wiring (config) → web (server, upstream, audit) → the decision (request, authn, authz)
 * → cache, apiserver, tls; status (answer texts), settings and metrics may be used from above.
 */
class ArchitectureTest {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // Spring AOT's generated bean definitions (Foo__BeanDefinitions) wire across packages by design
            .withImportOption(location -> !location.contains("__"))
            .importPackages("io.github.kubeletauthproxy");

    @Test
    void packagesHaveNoCycles() {
        slices().matching("io.github.kubeletauthproxy.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void onlyTheEntryPointUsesTheWiring() {
        noClasses().that().resideOutsideOfPackage("io.github.kubeletauthproxy.config..")
                .and().doNotHaveFullyQualifiedName(KubeletAuthProxyApplication.class.getName())
                .should().dependOnClassesThat().resideInAPackage("io.github.kubeletauthproxy.config..")
                .check(CLASSES);
    }

    @Test
    void theDecisionKnowsNothingOfTheWebLayer() {
        noClasses().that().resideInAnyPackage("..authn..", "..authz..", "..request..", "..cache..", "..apiserver..", "..tls..",
                        "..status..", "..settings..")
                .should().dependOnClassesThat().resideInAnyPackage("..server..", "..upstream..", "..audit..", "..config..", "..cli..")
                .check(CLASSES);
    }

    @Test
    void answerTextsAndSettingsStandAlone() {
        noClasses().that().resideInAnyPackage("..status..", "..settings..")
                .should().dependOnClassesThat().resideInAnyPackage("..server..", "..upstream..", "..audit..", "..config..",
                        "..cli..", "..authn..", "..authz..", "..request..", "..cache..", "..apiserver..", "..tls..", "..metrics..")
                .check(CLASSES);
    }
}
