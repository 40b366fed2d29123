package dev.transcriber.api.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.api.ApiApplication;
import java.io.IOException;
import java.io.InputStream;
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
 * The API reference cannot drift from the api: every route the api's controllers map (as Spring MVC's
 * {@link RequestMappingHandlerMapping} registers them, the error dispatch aside) is in {@code openapi.yaml} with its
 * method, and every route the document gives the api (paths not marked {@code x-service: worker}) is mapped. Path
 * variables are compared by position, not by name.
 *
 * <p>The slice registers every {@code @Controller} of the api's own classes, lazily: the mapping is read from the
 * classes, so none of their collaborators need to exist, and a new controller is checked without touching this test.
 */
class ApiReferenceDriftTest {

    @Test
    void everyRouteOfTheApiIsDocumentedAndEveryDocumentedRouteIsServed() throws IOException {
        Set<String> served = served();
        Set<String> documented = documented();

        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(documented);
        Set<String> missing = new TreeSet<>(documented);
        missing.removeAll(served);
        assertThat(served).as("the slice found the api's routes").contains("POST /v1/audio/transcriptions");
        assertThat(undocumented.isEmpty() && missing.isEmpty())
                .as(
                        "openapi.yaml (api-service/src/main/resources/static/openapi.yaml) and the api's routes differ:%n"
                                + "  served but not documented: %s%n  documented but not served: %s",
                        undocumented, missing)
                .isTrue();
    }

    /** {@code METHOD /path/{}/...} for every handler method the api's controllers map. */
    private static Set<String> served() {
        String mainClasses = ApiApplication.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toString();
        try (GenericWebApplicationContext context = new GenericWebApplicationContext(new MockServletContext())) {
            new AnnotatedBeanDefinitionReader(context).register(Mvc.class);
            ClassPathBeanDefinitionScanner scanner = new ClassPathBeanDefinitionScanner(context, false);
            scanner.addIncludeFilter(new AnnotationTypeFilter(Controller.class));
            scanner.addExcludeFilter(new AssignableTypeFilter(ErrorController.class));
            // the api's own classes, not the probes some slice tests map
            scanner.addExcludeFilter((reader, factory) ->
                    !reader.getResource().getURL().toString().startsWith(mainClasses));
            scanner.getBeanDefinitionDefaults().setLazyInit(true);
            scanner.scan(ApiApplication.class.getPackageName());
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

    /** The same for every operation of openapi.yaml outside the worker's paths. */
    @SuppressWarnings("unchecked")
    private static Set<String> documented() throws IOException {
        Map<String, Object> document;
        try (InputStream in = ApiReferenceDriftTest.class.getResourceAsStream("/static/openapi.yaml")) {
            assertThat(in).as("static/openapi.yaml on the classpath").isNotNull();
            document = new Yaml().load(in);
        }
        Set<String> routes = new TreeSet<>();
        ((Map<String, Map<String, Object>>) document.get("paths")).forEach((path, item) -> {
            Object service = item.get("x-service");
            assertThat(service).as("x-service of " + path).isIn(null, "worker");
            if (service == null) {
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
