package dev.transcriber.standalone.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boundaries drawn in the README's diagram, held by the build: no package of a service (or of {@code common})
 * depends on a package that depends back on it, the two services never reach into each other, and {@code common}
 * knows neither. A rule that fails here names the classes on each side of the offending dependency.
 */
class ArchitectureTest {

    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.transcriber");
    }

    @Test
    void everyModuleWasImported() {
        assertThat(production.containPackage("dev.transcriber.common.store")).isTrue();
        assertThat(production.containPackage("dev.transcriber.api.intake")).isTrue();
        assertThat(production.containPackage("dev.transcriber.worker.jobs")).isTrue();
        assertThat(production.containPackage("dev.transcriber.standalone")).isTrue();
    }

    @Test
    void commonHasNoPackageCycle() {
        packagesFreeOfCycles("common").check(production);
    }

    @Test
    void apiHasNoPackageCycle() {
        packagesFreeOfCycles("api").check(production);
    }

    @Test
    void workerHasNoPackageCycle() {
        packagesFreeOfCycles("worker").check(production);
    }

    @Test
    void theServicesNeverReachIntoEachOther() {
        noClasses()
                .that()
                .resideInAPackage("dev.transcriber.api..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.transcriber.worker..", "dev.transcriber.standalone..")
                .check(production);
        noClasses()
                .that()
                .resideInAPackage("dev.transcriber.worker..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.transcriber.api..", "dev.transcriber.standalone..")
                .check(production);
    }

    @Test
    void commonKnowsNeitherService() {
        noClasses()
                .that()
                .resideInAPackage("dev.transcriber.common..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.transcriber.api..", "dev.transcriber.worker..", "dev.transcriber.standalone..")
                .check(production);
    }

    /** The cycle rule is live: two packages of this test that use each other are reported. */
    @Test
    void theCycleRuleReportsACycle() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.transcriber.standalone.architecture.cycle");
        ArchRule rule = slices().matching("dev.transcriber.standalone.architecture.cycle.(**)")
                .should()
                .beFreeOfCycles();
        assertThat(rule.evaluate(fixture).hasViolation()).isTrue();
    }

    /** Every package of the module is a slice of its own, its root package included. */
    private static ArchRule packagesFreeOfCycles(String module) {
        String root = "dev.transcriber." + module;
        SliceAssignment eachPackage = new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                String name = javaClass.getPackageName();
                return name.equals(root) || name.startsWith(root + ".")
                        ? SliceIdentifier.of(name)
                        : SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "each package of " + root;
            }
        };
        return slices().assignedFrom(eachPackage).should().beFreeOfCycles();
    }
}
