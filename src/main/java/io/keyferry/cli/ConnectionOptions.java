package io.keyferry.cli;

import java.nio.file.Path;
import java.util.List;

import io.keyferry.KeyferryException;
import io.keyferry.redis.Endpoint;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The source and target of {@code copy} and {@code verify}: URIs, password files and TLS
 * options.
 */
public class ConnectionOptions {

	@Option(names = "--source", paramLabel = "URI",
			description = "Source: redis://[user[:password]@]host:port[/db] or rediss:// for TLS; a Redis Cluster may list several seeds: redis://host1:port1,host2:port2.")
	String source;

	@Option(names = "--target", paramLabel = "URI", description = "Target, same form as --source.")
	String target;

	@Option(names = "--source-password-file", paramLabel = "FILE",
			description = "File holding the source password (e.g. a mounted secret); default: KEYFERRY_SOURCE_PASSWORD.")
	Path sourcePasswordFile;

	@Option(names = "--target-password-file", paramLabel = "FILE",
			description = "File holding the target password; default: KEYFERRY_TARGET_PASSWORD.")
	Path targetPasswordFile;

	@Mixin
	TlsOptions tls = new TlsOptions();

	/**
	 * Both endpoints, with their passwords and TLS settings, checked.
	 * @return source and target
	 */
	Endpoint[] endpoints() {
		if (this.source == null || this.target == null) {
			throw KeyferryException.usage("missing " + ((this.source == null) ? "--source" : "--target"),
					"give --source URI and --target URI, on the command line or in the --config file");
		}
		Endpoint sourceEndpoint = this.tls
			.apply(withSecret(Endpoint.parse("source", this.source), this.sourcePasswordFile));
		Endpoint targetEndpoint = this.tls
			.apply(withSecret(Endpoint.parse("target", this.target), this.targetPasswordFile));
		this.tls.checkShared(sourceEndpoint, targetEndpoint);
		return new Endpoint[] { sourceEndpoint, targetEndpoint };
	}

	/**
	 * Refuses {@code --all-databases} with a URI that names a database or lists several
	 * hosts (a Redis Cluster, which has database 0 only); whether a single host is a
	 * cluster is checked when the servers are.
	 * @param command what the command does with the databases: {@code copy} or
	 * {@code verify}
	 */
	void checkAllDatabases(String command) {
		// copy: copies, verify: verifies
		String does = command.substring(0, command.length() - 1) + "ies";
		for (String role : List.of("source", "target")) {
			String uri = "source".equals(role) ? this.source : this.target;
			if (Endpoint.namesDatabase(uri)) {
				throw KeyferryException.usage(
						"--all-databases " + does + " every database, and --" + role + " names one ("
								+ Endpoint.parse(role, uri).redacted() + ")",
						"remove the /db from --" + role + ", or leave out --all-databases to " + command
								+ " that database alone");
			}
			if (uri != null && !Endpoint.parse(role, uri).moreSeeds().isEmpty()) {
				throw KeyferryException.usage(
						"--all-databases needs standalone servers, and --" + role
								+ " lists several hosts (a Redis Cluster, which has database 0 only)",
						"leave out --all-databases to " + command + " the cluster's keys");
			}
		}
	}

	private static Endpoint withSecret(Endpoint endpoint, Path passwordFile) {
		if (passwordFile != null && !endpoint.hasPassword()) {
			String password = ConfigFile.readSecret(passwordFile, endpoint.role() + " password");
			// the file holds the data nodes' password; a Sentinel's comes from its
			// variable
			return endpoint.withPasswordFrom(
					(variable) -> variable.equals(endpoint.passwordVariable()) ? password : System.getenv(variable));
		}
		return endpoint.withPasswordFrom(System::getenv);
	}

}
