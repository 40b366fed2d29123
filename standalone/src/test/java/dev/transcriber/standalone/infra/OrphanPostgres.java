package dev.transcriber.standalone.infra;

import java.nio.file.Path;

/** Starts a PostgreSQL in a JVM of its own, for a test to kill that JVM and leave the server behind. */
public final class OrphanPostgres {

    private OrphanPostgres() {}

    public static void main(String[] args) throws Exception {
        LocalPostgres.start(Path.of(args[0]), Integer.parseInt(args[1]));
        System.out.println("ready");
        System.out.flush();
        Thread.currentThread().join(); // until killed
    }
}
