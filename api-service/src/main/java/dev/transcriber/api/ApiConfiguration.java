package dev.transcriber.api;

import dev.transcriber.common.CommonConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The shared beans (store, object storage, outbox) and the api's settings; left out of web-slice tests. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@Import(CommonConfiguration.class)
@EnableConfigurationProperties(ApiProperties.class)
class ApiConfiguration {}
