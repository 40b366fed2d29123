package dev.transcriber.standalone.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A port nobody listens on right now, for servers that must be told their port before they start. */
public final class FreePorts {

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

    public static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
