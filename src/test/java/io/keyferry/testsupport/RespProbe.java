package io.keyferry.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The two commands the fixture sends without Lettuce, over a plain socket that cannot
 * reconnect or queue: PING while a server starts, SHUTDOWN SAVE to restart it. Stateless
 * and thread-safe.
 */
final class RespProbe {

	private RespProbe() {
	}

	/**
	 * Sends PING.
	 * @param port the loopback port
	 * @return the first line of the reply ({@code +PONG}, {@code -NOAUTH ...},
	 * {@code -LOADING ...}), or a description of why there is none
	 */
	static String ping(int port) {
		try (Socket socket = connect(port, 1000)) {
			String reply = command(socket, "PING");
			return (reply != null) ? reply : "connection closed";
		}
		catch (IOException ex) {
			return ex.getClass().getSimpleName() + ": " + ex.getMessage();
		}
	}

	/**
	 * Sends SHUTDOWN SAVE, after AUTH when a password is given.
	 * @param port the loopback port
	 * @param password the default user's password, or {@code null}
	 * @return {@code null} when the server closed the connection (it is shutting down),
	 * else its refusal
	 */
	static String shutdownSave(int port, String password) {
		try (Socket socket = connect(port, 30_000)) {
			if (password != null) {
				String auth = command(socket, "AUTH", password);
				if (!"+OK".equals(auth)) {
					return "AUTH failed: " + auth;
				}
			}
			return command(socket, "SHUTDOWN", "SAVE");
		}
		catch (IOException ex) {
			// A reset instead of a clean close still means the server went away.
			return null;
		}
	}

	private static Socket connect(int port, int readTimeoutMillis) throws IOException {
		Socket socket = new Socket();
		try {
			socket.connect(new InetSocketAddress(RedisServer.HOST, port), 500);
			socket.setSoTimeout(readTimeoutMillis);
			return socket;
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

	/**
	 * Sends one command in RESP and reads the first line of the reply; {@code null} when
	 * the server closed the connection.
	 */
	private static String command(Socket socket, String... args) throws IOException {
		ByteArrayOutputStream request = new ByteArrayOutputStream();
		request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
		for (String arg : args) {
			byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
			request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
			request.writeBytes(bytes);
			request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
		}
		OutputStream out = socket.getOutputStream();
		out.write(request.toByteArray());
		out.flush();
		InputStream in = socket.getInputStream();
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		int b;
		while ((b = in.read()) != -1 && b != '\n') {
			line.write(b);
		}
		if (b == -1 && line.size() == 0) {
			return null;
		}
		return line.toString(StandardCharsets.UTF_8).stripTrailing();
	}

}
