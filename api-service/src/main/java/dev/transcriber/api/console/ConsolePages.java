package dev.transcriber.api.console;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The web console at {@code /console}: static pages, ES modules and styles under {@code static/console/} (no build
 * step), the charts from the uPlot webjar under {@code /webjars/**}. {@code /console} is sent on to {@code /console/},
 * so the modules' relative paths resolve, and {@code /console/} is the console's one page (its views are hash
 * routes). Who may load it, and the headers it is answered with: {@code ApiSecurity}.
 */
@Configuration(proxyBeanMethods = false)
class ConsolePages implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/console", "/console/");
        registry.addViewController("/console/").setViewName("forward:/console/index.html");
    }
}
