package dev.transcriber.api.admin;

import dev.transcriber.common.web.AdminTokenFilter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code /admin/} on the api needs the admin token ({@code transcriber.admin.token}, TRANSCRIBER_ADMIN_TOKEN). */
@Configuration(proxyBeanMethods = false)
class AdminConfiguration {

    @Bean
    AdminTokenFilter adminTokenFilter(@Value("${transcriber.admin.token:}") String token) {
        return new AdminTokenFilter(token);
    }
}
