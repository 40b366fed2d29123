package dev.transcriber.api.docs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The rendered API reference at {@value #PATH}: Swagger UI (from the {@code org.webjars:swagger-ui} jar) showing
 * {@code /openapi.yaml}. The page ({@code static/docs/api/index.html}) and its start-up script are files of their
 * own, with no inline script, so the page runs under a {@code script-src 'self'} policy ({@code ApiSecurity} sends
 * its policy); Swagger UI's own files are served under {@value #ASSETS}.
 */
@Configuration(proxyBeanMethods = false)
public class ApiReferencePage implements WebMvcConfigurer {

    public static final String PATH = "/docs/api";
    static final String ASSETS = PATH + "/swagger-ui/";

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addViewController(PATH).setViewName("forward:" + PATH + "/index.html");
    }

    @Override
    public void addResourceHandlers(ResourceHandlerRegistry registry) {
        registry.addResourceHandler(ASSETS + "**")
                .addResourceLocations("classpath:/META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion() + "/");
    }

    /** The webjar's version, from its Maven metadata, so the pom alone names it. */
    static String swaggerUiVersion() {
        try (InputStream in =
                ApiReferencePage.class.getResourceAsStream("/META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("org.webjars:swagger-ui is not on the classpath");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
