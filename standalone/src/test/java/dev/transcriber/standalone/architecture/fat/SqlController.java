package dev.transcriber.standalone.architecture.fat;

import org.springframework.jdbc.core.simple.JdbcClient;

/** A controller that runs its own SQL, which ArchitectureTest must report. */
class SqlController {

    private final JdbcClient jdbc;

    SqlController(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    long count() {
        return jdbc.sql("select count(*) from transcription_jobs")
                .query(Long.class)
                .single();
    }
}
