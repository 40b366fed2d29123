package dev.transcriber.worker.accounts;

import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class AccountsConfiguration {

    @Bean
    AccountPool accountPool(
            AccountsProperties properties,
            Clock clock,
            @Value("${transcriber.upstream.capacity-wait:10m}") Duration capacityWait) {
        return new AccountPool(AccountPool.fromConfiguration(properties), clock, capacityWait);
    }
}
