package dev.transcriber.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.context.annotation.AnnotatedBeanDefinitionReader;
import org.springframework.context.annotation.ClassPathBeanDefinitionScanner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.core.type.filter.AssignableTypeFilter;
import org.springframework.mock.web.MockServletContext;
import org.springframework.stereotype.Controller;
import org.springframework.web.context.support.GenericWebApplicationContext;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.yaml.snakeyaml.Yaml;

/**
 * The API reference cannot drift from the worker: every route the worker's controllers map (as Spring MVC's
 * {@link RequestMappingHandlerMapping} registers them, the error dispatch aside) is in the api's {@code openapi.yaml}
 * as one of the worker's paths ({@code x-service: worker}) with its method, and every such path is mapped. Path
 * variables are compared by position, not by name.
 *
 * <p>The slice registers every {@code @Controller} of the worker's own classes, lazily: the mapping is read from the
 * classes, so none of their collaborators need to exist, and a new controller is checked without touching this test.
 */
class WorkerApiReferenceDriftTest {

    @Test
    void everyRouteOfTheWorkerIsDocumentedAndEveryDocumentedRouteIsServed() throws IOException {
        Set<String> served = served();
        Set<String> documented = documented();

        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(documented);
        Set<String> missing = new TreeSet<>(documented);
        missing.removeAll(served);
        assertThat(served).as("the slice found the worker's routes").contains("GET /admin/accounts");
        assertThat(undocumented.isEmpty() && missing.isEmpty())
                .as(
                        "openapi.yaml (api-service/src/main/resources/static/openapi.yaml, with x-service: worker) and the worker's routes differ:%n"
                                + "  served but not documented: %s%n  documented but not served: %s",
                        undocumented, missing)
                .isTrue();
    }

    /** {@code METHOD /path/{}/...} for every handler method the worker's controllers map. */
    private static Set<String> served() {
        String mainClasses = WorkerApplication.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toString();
        try (GenericWebApplicationContext context = new GenericWebApplicationContext(new MockServletContext())) {
            new AnnotatedBeanDefinitionReader(context).register(Mvc.class);
            ClassPathBeanDefinitionScanner scanner = new ClassPathBeanDefinitionScanner(context, false);
            scanner.addIncludeFilter(new AnnotationTypeFilter(Controller.class));
            scanner.addExcludeFilter(new AssignableTypeFilter(ErrorController.class));
            // the worker's own classes, not the probes some slice tests map
            scanner.addExcludeFilter((reader, factory) ->
                    !reader.getResource().getURL().toString().startsWith(mainClasses));
            scanner.getBeanDefinitionDefaults().setLazyInit(true);
            scanner.scan(WorkerApplication.class.getPackageName());
            context.refresh();
            Set<String> routes = new TreeSet<>();
            context.getBean("requestMappingHandlerMapping", RequestMappingHandlerMapping.class)
                    .getHandlerMethods()
                    .keySet()
                    .forEach(info -> {
                        var methods = info.getMethodsCondition().getMethods();
                        for (String pattern : info.getPatternValues()) {
                            if (methods.isEmpty()) {
                                routes.add("ANY " + byPosition(pattern));
                            }
                            methods.forEach(method -> routes.add(method.name() + " " + byPosition(pattern)));
                        }
                    });
            return routes;
        }
    }

    /**
     * The same for every operation of the worker's paths in openapi.yaml (the api serves the document; the worker's
     * tests read it from the api's sources, run from this module's folder as Maven does).
     */
    @SuppressWarnings("unchecked")
    private static Set<String> documented() throws IOException {
        Path file = Path.of("..", "api-service", "src", "main", "resources", "static", "openapi.yaml");
        assertThat(file)
                .as("the api's openapi.yaml, from " + Path.of("").toAbsolutePath())
                .exists();
        Map<String, Object> document;
        try (InputStream in = Files.newInputStream(file)) {
            document = new Yaml().load(in);
        }
        Set<String> routes = new TreeSet<>();
        ((Map<String, Map<String, Object>>) document.get("paths")).forEach((path, item) -> {
            Object service = item.get("x-service");
            assertThat(service).as("x-service of " + path).isIn(null, "worker");
            if ("worker".equals(service)) {
                item.keySet().stream()
                        .filter(OPERATIONS::contains)
                        .forEach(method -> routes.add(method.toUpperCase() + " " + byPosition(path)));
            }
        });
        return routes;
    }

    private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "options", "head", "patch");

    private static String byPosition(String path) {
        return path.replaceAll("\\{[^}]*}", "{}");
    }

    @Configuration(proxyBeanMethods = false)
    @EnableWebMvc
    static class Mvc {}
}
