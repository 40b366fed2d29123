package dev.transcriber.worker.accounts;

import dev.transcriber.worker.WorkerIdentity;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

@Configuration(proxyBeanMethods = false)
class AccountsConfiguration {

    @Bean
    AccountPool accountPool(
            AccountsProperties properties,
            SharingProperties sharing,
            Clock clock,
            JdbcClient jdbc,
            PlatformTransactionManager transactions,
            WorkerIdentity identity,
            @Value("${transcriber.upstream.capacity-wait:10m}") Duration capacityWait) {
        AccountLedger fleet = new FleetLedger(
                jdbc,
                new TransactionTemplate(transactions),
                sharing.slotLease(),
                sharing.claimRetry().multipliedBy(10));
        return new AccountPool(
                AccountPool.fromConfiguration(properties), clock, capacityWait, fleet, identity.id(), sharing);
    }
}
