package dev.transcriber.worker;

import java.net.InetAddress;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The name this worker process signs its leases with ({@code transcriber.worker.id}, or the host name and a suffix). */
@Component
public class WorkerIdentity {

    private final String id;

    public WorkerIdentity(WorkerProperties properties) {
        this.id = properties.id().isBlank()
                ? host() + "-" + UUID.randomUUID().toString().substring(0, 8)
                : properties.id();
    }

    public String id() {
        return id;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "worker";
        }
    }
}
