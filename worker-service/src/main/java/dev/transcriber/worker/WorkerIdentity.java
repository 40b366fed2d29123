package dev.transcriber.worker;

import java.net.InetAddress;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/** The name this worker process signs its leases with ({@code transcriber.worker.id}, or the host name and a suffix). */
@Component
public class WorkerIdentity {

    private final String id;

    public WorkerIdentity(@Value("${transcriber.worker.id:}") String configured) {
        this.id = configured.isBlank()
                ? host() + "-" + UUID.randomUUID().toString().substring(0, 8)
                : configured;
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
