package dev.transcriber.common.storage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import javax.net.SocketFactory;

/**
 * Plain sockets with TCP_NODELAY on. The MinIO client's OkHttp leaves Nagle's algorithm on, which meets the
 * server's delayed ACK and costs about 40 ms on every small PUT.
 *
 * <p>A socket of {@link #createSocket()} (the one OkHttp asks for) never waits for ever on a read: where OkHttp
 * turns the socket's read timeout off (a client without Okio's own read timeout), it is {@code readTimeout}.
 */
final class NoDelaySocketFactory extends SocketFactory {

    private final int readTimeoutMillis;

    NoDelaySocketFactory(Duration readTimeout) {
        this.readTimeoutMillis = Math.toIntExact(readTimeout.toMillis());
    }

    @Override
    public Socket createSocket() throws IOException {
        Socket socket = new Socket() {
            @Override
            public void setSoTimeout(int timeout) throws SocketException {
                super.setSoTimeout(timeout == 0 ? readTimeoutMillis : timeout);
            }
        };
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(0);
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return noDelay(new Socket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return noDelay(new Socket(address, port, localAddress, localPort));
    }

    private static Socket noDelay(Socket socket) throws IOException {
        socket.setTcpNoDelay(true);
        return socket;
    }
}
