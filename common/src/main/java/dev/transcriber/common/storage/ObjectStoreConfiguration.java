package dev.transcriber.common.storage;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
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
}
