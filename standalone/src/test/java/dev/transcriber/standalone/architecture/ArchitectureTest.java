package dev.transcriber.standalone.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaParameterizedType;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.domain.JavaWildcardType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import jakarta.persistence.EntityManager;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.repository.Repository;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The boundaries drawn in the README's diagram, held by the build: no package of a service (or of {@code common})
 * depends on a package that depends back on it, the two services never reach into each other, and {@code common}
 * knows neither. Controllers are thin: no SQL, no entity manager, no repository of their own (a query or service class
 * of their feature does that), and both services answer with records, never a {@code Map}. A rule that fails here names the
 * classes on each side of the offending dependency, or the method and its return type.
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

    @Test
    void controllersLeaveSqlToTheQueriesOfTheirFeature() {
        controllersWithoutSql().check(production);
    }

    /** Each service on its own, so a service whose routes the rule no longer finds fails it (an empty rule fails). */
    @Test
    void theServicesAnswerWithRecordsNotMaps() {
        answersWithoutAMap("dev.transcriber.api..").check(production);
        answersWithoutAMap("dev.transcriber.worker..").check(production);
    }

    /** Both controller rules are live: a controller of this test that runs SQL, and one that answers a map. */
    @Test
    void theControllerRulesReportAFatController() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.transcriber.standalone.architecture.fat");

        assertThat(controllersWithoutSql().evaluate(fixture).getFailureReport().getDetails())
                .isNotEmpty()
                .allSatisfy(detail -> assertThat(detail).contains("fat.SqlController", "JdbcClient"));
        assertThat(answersWithoutAMap("dev.transcriber.standalone.architecture.fat..")
                        .evaluate(fixture)
                        .getFailureReport()
                        .getDetails())
                .singleElement()
                .asString()
                .contains("MapController.answer()", "ResponseEntity<java.util.Map<");
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

    /** No class named {@code ...Controller} touches the database itself. */
    private static ArchRule controllersWithoutSql() {
        return noClasses()
                .that()
                .haveSimpleNameEndingWith("Controller")
                .should()
                .dependOnClassesThat()
                .belongToAnyOf(
                        JdbcClient.class, JdbcTemplate.class, NamedParameterJdbcTemplate.class, EntityManager.class)
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(Repository.class)
                .because("a controller parses, calls one query or service of its feature, and answers");
    }

    /**
     * The handler methods of the {@code @RestController}s in {@code packages} return no {@code Map}, bare or inside a
     * type argument ({@code ResponseEntity<Map<...>>}). The handlers are package-private, so the rule takes every
     * method mapped to a route rather than only the public ones.
     */
    private static ArchRule answersWithoutAMap(String packages) {
        return methods()
                .that()
                .areDeclaredInClassesThat()
                .areAnnotatedWith(RestController.class)
                .and()
                .areDeclaredInClassesThat()
                .resideInAPackage(packages)
                .and()
                .areMetaAnnotatedWith(RequestMapping.class)
                .should(returnNoMap())
                .because("a response body is a record named for what it is");
    }

    private static ArchCondition<JavaMethod> returnNoMap() {
        return new ArchCondition<>("return no Map") {
            @Override
            public void check(JavaMethod method, ConditionEvents events) {
                if (mentionsAMap(method.getReturnType())) {
                    events.add(SimpleConditionEvent.violated(
                            method,
                            method.getFullName() + " answers with a Map: "
                                    + method.getReturnType().getName()));
                }
            }
        };
    }

    private static boolean mentionsAMap(JavaType type) {
        if (type.toErasure().isAssignableTo(Map.class)) {
            return true;
        }
        if (type instanceof JavaParameterizedType parameterized) {
            return parameterized.getActualTypeArguments().stream().anyMatch(ArchitectureTest::mentionsAMap);
        }
        if (type instanceof JavaWildcardType wildcard) {
            return wildcard.getUpperBounds().stream().anyMatch(ArchitectureTest::mentionsAMap);
        }
        return false;
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
