package dev.transcriber.common.wakeup;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

/** {@link Wakeups}, listening on a connection of its own to the services' database. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WakeupProperties.class)
public class WakeupConfiguration {

    @Bean
    Wakeups wakeups(DataSource dataSource, JdbcClient jdbc, WakeupProperties properties) throws SQLException {
        return new Wakeups(
                new PostgresNotifications(
                        connector(dataSource), properties.check(), properties.reconnect(), properties.maxReconnect()),
                jdbc);
    }

    /**
     * A connection outside the pool, with the pool's settings: the listener holds it for ever, which the pool would
     * count as a leak and would retire at its maximum lifetime.
     */
    static PostgresNotifications.Connector connector(DataSource dataSource) throws SQLException {
        if (dataSource.isWrapperFor(HikariDataSource.class)) {
            HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
            String url = pool.getJdbcUrl();
            if (url != null && url.startsWith("jdbc:postgresql:")) {
                Properties settings = new Properties();
                settings.putAll(pool.getDataSourceProperties());
                if (pool.getUsername() != null) {
                    settings.setProperty("user", pool.getUsername());
                }
                if (pool.getPassword() != null) {
                    settings.setProperty("password", pool.getPassword());
                }
                settings.setProperty("ApplicationName", "transcriber-wakeups");
                settings.setProperty("connectTimeout", "5");
                settings.setProperty("socketTimeout", "30");
                settings.setProperty("tcpKeepAlive", "true");
                org.postgresql.Driver driver = new org.postgresql.Driver();
                return () -> {
                    var connection = driver.connect(url, settings);
                    if (connection == null) {
                        throw new SQLException("the PostgreSQL driver does not take " + url);
                    }
                    return connection;
                };
            }
        }
        return dataSource::getConnection;
    }
}
