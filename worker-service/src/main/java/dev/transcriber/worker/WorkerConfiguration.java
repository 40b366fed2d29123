package dev.transcriber.worker;

import dev.transcriber.common.CommonConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The shared beans (store, object storage, outbox) and the worker's settings. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@ConfigurationPropertiesScan
@Import(CommonConfiguration.class)
class WorkerConfiguration {}
