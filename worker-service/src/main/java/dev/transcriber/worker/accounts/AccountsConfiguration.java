package dev.transcriber.worker.accounts;

import dev.transcriber.common.web.AdminTokenFilter;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class AccountsConfiguration {

    @Bean
    AdminTokenFilter adminTokenFilter(@Value("${transcriber.admin.token:}") String token) {
        return new AdminTokenFilter(token);
    }

    @Bean
    AccountPool accountPool(
            AccountsProperties properties,
            Clock clock,
            @Value("${transcriber.upstream.capacity-wait:10m}") Duration capacityWait) {
        return new AccountPool(AccountPool.fromConfiguration(properties), clock, capacityWait);
    }
}
