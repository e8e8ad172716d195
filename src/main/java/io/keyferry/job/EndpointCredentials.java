package io.keyferry.job;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.keyferry.redis.Endpoint;

/**
 * Supplies credentials for the redacted endpoints stored in job parameters: from the URIs
 * given to this process, otherwise from {@code KEYFERRY_SOURCE_PASSWORD} / {@code
 * KEYFERRY_TARGET_PASSWORD}. Credentials live in this process's memory only. Thread-safe.
 */
public class EndpointCredentials {

	private final Map<String, Endpoint> given = new ConcurrentHashMap<>();

	private final Function<String, String> environment;

	public EndpointCredentials(Function<String, String> environment) {
		this.environment = environment;
	}

	/**
	 * Remembers an endpoint given on the command line (with its password, if any).
	 * @param endpoint the endpoint
	 */
	public void register(Endpoint endpoint) {
		this.given.put(endpoint.role() + " " + endpoint.redacted(), endpoint);
	}

	/**
	 * Completes a stored endpoint with its credentials.
	 * @param stored the endpoint parsed from a job parameter
	 * @return the endpoint with a password when one is known
	 */
	public Endpoint resolve(Endpoint stored) {
		Endpoint known = this.given.get(stored.role() + " " + stored.redacted());
		Endpoint endpoint = (known != null) ? known : stored;
		return endpoint.withPasswordFrom(this.environment);
	}

}
