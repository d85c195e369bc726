package io.icebergonline.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 keep-alive connection on a plain socket, for what a pooled client hides: which
 * connection a request went on, the exact response headers, and whether the server closed it.
 * The request body is written from its own thread, as a client streaming a body does, so a server
 * that answers before reading it does not block the test.
 */
final class RawConnection implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private Thread writer;

  RawConnection(int port) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(60_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** An answer's status line and headers (names lower-cased), its body read by Content-Length. */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  void send(String method, String path, byte[] body) throws Exception {
    sendHead(method, path, body.length);
    writer = new Thread(() -> {
      try {
        out.write(body);
        out.flush();
      } catch (IOException e) {
        // the server answered and closed before reading the whole body: what the test looks at
      }
    }, "raw-connection-body");
    writer.start();
  }

  /** Only the request line and headers, announcing a body of {@code contentLength} bytes. */
  void sendHead(String method, String path, long contentLength) throws Exception {
    if (writer != null) {
      writer.join();
    }
    String head = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + contentLength + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Bytes of a body announced by {@link #sendHead}, as a client sends a body in parts. */
  void sendPart(byte[] part) throws IOException {
    out.write(part);
    out.flush();
  }

  Answer answer() throws IOException {
    String status = line();
    if (status == null) {
      throw new IOException("the server closed the connection without answering");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(); line != null && !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    return new Answer(Integer.parseInt(status.split(" ")[1]), headers, in.readNBytes(length));
  }

  /** True while the server has neither answered nor closed the connection (looked at without waiting for either). */
  boolean quiet() throws IOException {
    int patience = socket.getSoTimeout();
    socket.setSoTimeout(1);
    try {
      in.read(); // a byte of an answer, or the end of a closed connection
      return false;
    } catch (SocketTimeoutException nothingYet) {
      return true;
    } catch (SocketException reset) {
      return false;
    } finally {
      socket.setSoTimeout(patience);
    }
  }

  /** True when the server closed its side: a read ends (EOF, or a reset for bytes it never read). */
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (SocketException reset) {
      return true;
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\n') {
        return line.toString(StandardCharsets.US_ASCII).stripTrailing();
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws Exception {
    socket.close();
    if (writer != null) {
      writer.join();
    }
  }
}
