package dev.transcriber.standalone.support;

import java.util.List;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** PostgreSQL, Kafka and MinIO from the same images as docker-compose.yml. Needs a Docker engine. */
public final class ContainerInfrastructure implements AutoCloseable {

    public static final String POSTGRES_IMAGE = "postgres:16-alpine";
    public static final String KAFKA_IMAGE = "apache/kafka:4.1.2";
    public static final String MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z";

    private final PostgreSQLContainer postgres;
    private final KafkaContainer kafka;
    private final MinIOContainer minio;

    private ContainerInfrastructure(PostgreSQLContainer postgres, KafkaContainer kafka, MinIOContainer minio) {
        this.postgres = postgres;
        this.kafka = kafka;
        this.minio = minio;
    }

    static ContainerInfrastructure start() {
        PostgreSQLContainer postgres = new PostgreSQLContainer(POSTGRES_IMAGE);
        KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE);
        MinIOContainer minio = new MinIOContainer(MINIO_IMAGE);
        postgres.start();
        kafka.start();
        minio.start();
        return new ContainerInfrastructure(postgres, kafka, minio);
    }

    List<String> serviceArguments() {
        return List.of(
                "--spring.datasource.url=" + postgres.getJdbcUrl(),
                "--spring.datasource.username=" + postgres.getUsername(),
                "--spring.datasource.password=" + postgres.getPassword(),
                "--spring.kafka.bootstrap-servers=" + kafka.getBootstrapServers(),
                "--transcriber.storage.endpoint=" + minio.getS3URL(),
                "--transcriber.storage.access-key=" + minio.getUserName(),
                "--transcriber.storage.secret-key=" + minio.getPassword());
    }

    @Override
    public void close() {
        minio.stop();
        kafka.stop();
        postgres.stop();
    }
}
