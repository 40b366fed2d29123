package dev.transcriber.standalone.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** A port nobody listens on right now, for servers that must be told their port before they start. */
public final class FreePorts {

    /** Above the fixed ports of the local mode's defaults (15432, 19092, ...). */
    private static final int LOWEST = 20000;

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    /**
     * Throws {@link IllegalStateException} naming {@code what} and the setting that moves it when something already
     * listens on {@code port}: a server started there now would fail, or worse, its clients would silently reach
     * the other one (another folder's database).
     */
    public static void requireFree(int port, String what, String variable) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw new IllegalStateException("Port " + port + " for the local " + what + " is in use by another"
                    + " process. Stop it, or choose another port with " + variable + ".");
        }
    }

    /**
     * A port nobody listens on, below the machine's ephemeral range, and not handed out before in this JVM. Ports
     * from the ephemeral range (what binding port 0 gives) are also the local ports of outgoing connections, so one
     * picked there could be taken by any client's connection before its server binds it (a full test run once saw
     * its S3 port taken that way while PostgreSQL and Kafka were starting).
     */
    public static int pick() {
        int below = ephemeralRangeStart();
        if (below - LOWEST < 1000) {
            return anyFree();
        }
        for (int tries = 0; tries < 200; tries++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            if (!HANDED_OUT.contains(port) && isFree(port) && HANDED_OUT.add(port)) {
                return port;
            }
        }
        return anyFree();
    }

    /** The first port of the range outgoing connections take their local ports from (Linux's default: 32768). */
    static int ephemeralRangeStart() {
        try {
            // read by lines: a /proc file reports a size of 0, and Files.readString stops short on it
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .getFirst()
                    .trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int anyFree() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
