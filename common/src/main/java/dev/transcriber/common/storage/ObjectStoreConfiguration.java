package dev.transcriber.common.storage;

import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(StorageProperties.class)
public class ObjectStoreConfiguration {

    @Bean
    ObjectStore objectStore(StorageProperties properties) {
        ObjectStore store = new ObjectStore(properties);
        store.ensureBucket();
        return store;
    }

    /** {@code objectStore} in health and in the readiness group: the bucket answers. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class ObjectStoreHealth {

        @Bean
        HealthIndicator objectStoreHealthIndicator(ObjectStore store) {
            return () -> {
                try {
                    store.checkBucket();
                    return org.springframework.boot.health.contributor.Health.up()
                            .build();
                } catch (RuntimeException e) {
                    return org.springframework.boot.health.contributor.Health.down()
                            .withDetail("error", "the object store does not answer")
                            .build();
                }
            };
        }
    }
}
