package io.keyferry.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;

import io.keyferry.KeyferryException;
import io.keyferry.report.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code keyferry} command and its global options; errors become one {@code error:}
 * line and one {@code hint:} line on stderr, with a stack trace only with
 * {@code --stacktrace}.
 */
@Command(name = "keyferry", mixinStandardHelpOptions = true, versionProvider = KeyferryCommand.Version.class,
		description = "Copies keys from one Redis to another with SCAN, DUMP and RESTORE, and resumes from its last checkpoint after a failure, a stop or a kill.",
		subcommands = { CopyCommand.class, VerifyCommand.class, ResumeCommand.class, StopCommand.class,
				HistoryCommand.class, ShowCommand.class, PruneCommand.class, ScheduleCommand.class },
		exitCodeListHeading = "%nExit codes:%n",
		exitCodeList = { "0:completed", "1:failed (resumable: run the same command again)",
				"2:usage or configuration error (nothing written)", "3:stopped (resumable)",
				"4:verify: the target differs from the source" })
public class KeyferryCommand {

	@Option(names = "--home", scope = ScopeType.INHERIT, paramLabel = "DIR",
			description = "Where the default job repository (H2) and logs live. Default: $KEYFERRY_HOME or ~/.keyferry.")
	Path home;

	@Option(names = "--stacktrace", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
	boolean stacktrace;

	@Option(names = { "-v", "--verbose" }, scope = ScopeType.INHERIT, description = "Also log to stderr.")
	boolean verbose;

	@Option(names = "--repository-url", scope = ScopeType.INHERIT, paramLabel = "JDBC_URL",
			description = "Job repository database, e.g. jdbc:postgresql://db:5432/keyferry (default: an H2 file in the home). Password from KEYFERRY_REPOSITORY_PASSWORD or --repository-password-file.")
	String repositoryUrl;

	@Option(names = "--repository-user", scope = ScopeType.INHERIT, paramLabel = "USER",
			description = "Job repository database user.")
	String repositoryUser;

	@Option(names = "--repository-password-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
			description = "File holding the job repository database password (e.g. a mounted secret).")
	Path repositoryPasswordFile;

	/**
	 * Whether this JVM is the command-line process (signal handlers may be installed).
	 */
	boolean mainProcess;

	PrintStream out;

	PrintStream err;

	/**
	 * Whether a command has printed its result on stdout: a failure after that (e.g.
	 * while closing) must not add a second JSON value.
	 */
	boolean resultPrinted;

	/**
	 * The home directory, absolute: a relative {@code --home} or {@code KEYFERRY_HOME} is
	 * resolved against the working directory (H2 refuses a relative database path).
	 */
	Path home() {
		Path path;
		if (this.home != null) {
			path = this.home;
		}
		else {
			String env = System.getenv("KEYFERRY_HOME");
			path = (env != null && !env.isBlank()) ? Path.of(env)
					: Path.of(System.getProperty("user.home"), ".keyferry");
		}
		return path.toAbsolutePath().normalize();
	}

	/**
	 * Spring properties selecting the job repository given by the options (none: the
	 * default).
	 * @return the properties
	 */
	java.util.Map<String, Object> repository() {
		java.util.Map<String, Object> properties = new java.util.HashMap<>();
		if (this.repositoryUrl != null) {
			if (!this.repositoryUrl.startsWith("jdbc:")) {
				throw KeyferryException.usage("invalid --repository-url '" + this.repositoryUrl + "'",
						"use a JDBC URL, e.g. jdbc:postgresql://host:5432/keyferry");
			}
			properties.put("spring.datasource.url", this.repositoryUrl);
			properties.put("spring.datasource.username", (this.repositoryUser != null) ? this.repositoryUser : "");
			String password = (this.repositoryPasswordFile != null)
					? ConfigFile.readSecret(this.repositoryPasswordFile, "repository password")
					: System.getenv("KEYFERRY_REPOSITORY_PASSWORD");
			properties.put("spring.datasource.password", (password != null) ? password : "");
		}
		return properties;
	}

	/**
	 * Runs a command line.
	 * @param mainProcess whether this is the {@code main} of a keyferry process
	 * @param out where results go
	 * @param err where progress and errors go
	 * @param args the arguments
	 * @return the exit code
	 */
	public static int execute(boolean mainProcess, PrintStream out, PrintStream err, String... args) {
		KeyferryCommand top = new KeyferryCommand();
		top.mainProcess = mainProcess;
		top.out = out;
		top.err = err;
		CommandLine cli = new CommandLine(top);
		cli.setOut(new PrintWriter(out, true));
		cli.setErr(new PrintWriter(err, true));
		cli.setCaseInsensitiveEnumValuesAllowed(true);
		cli.setParameterExceptionHandler((ex, arguments) -> {
			String name = ex.getCommandLine().getCommandSpec().qualifiedName();
			return top.fail(ex.getCommandLine(), arguments, ex.getMessage(), "see '" + name + " --help'",
					ExitCode.USAGE);
		});
		cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
			KeyferryException known = KeyferryException.find(ex);
			if (top.stacktrace) {
				ex.printStackTrace(err);
			}
			if (known != null) {
				return top.fail(commandLine, args, known.getMessage(), known.getHint(),
						known.isUsage() ? ExitCode.USAGE : ExitCode.FAILED);
			}
			return top.fail(commandLine, args, ex.toString(),
					"rerun with --stacktrace for details; the log is in " + top.home().resolve("logs"),
					ExitCode.FAILED);
		});
		return cli.execute(args);
	}

	/**
	 * Reports a failure that ended a command: {@code error:} and {@code hint:} on stderr
	 * and, when the command was asked for {@code --json}, one JSON object on stdout with
	 * the status, the exit code, the error and the hint.
	 */
	private int fail(CommandLine command, String[] args, String message, String hint, int exitCode) {
		this.err.println("error: " + message);
		if (hint != null) {
			this.err.println("hint: " + hint);
		}
		if (!this.resultPrinted && jsonRequested(command, args)) {
			this.out.println(Json.write(RunOutput.error(message, hint, exitCode)));
			this.out.flush();
		}
		return exitCode;
	}

	/**
	 * Whether the failing command takes {@code --json} and was given it (looked up in the
	 * arguments, as parsing may have stopped before it).
	 */
	private static boolean jsonRequested(CommandLine command, String[] args) {
		return command != null && command.getCommandSpec().findOption("--json") != null
				&& java.util.Arrays.asList(args).contains("--json");
	}

	static final class Version implements CommandLine.IVersionProvider {

		@Override
		public String[] getVersion() {
			String version = KeyferryCommand.class.getPackage().getImplementationVersion();
			return new String[] { "keyferry " + ((version != null) ? version : "development build") };
		}

	}

}
