package io.keyferry.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;

import io.keyferry.KeyferryException;
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
		subcommands = { CopyCommand.class, ResumeCommand.class, StopCommand.class, HistoryCommand.class,
				ShowCommand.class, PruneCommand.class },
		exitCodeListHeading = "%nExit codes:%n",
		exitCodeList = { "0:completed", "1:failed (resumable: run the same command again)",
				"2:usage or configuration error (nothing written)", "3:stopped (resumable)" })
public class KeyferryCommand {

	@Option(names = "--home", scope = ScopeType.INHERIT, paramLabel = "DIR",
			description = "Where the default job repository (H2) and logs live. Default: $KEYFERRY_HOME or ~/.keyferry.")
	Path home;

	@Option(names = "--stacktrace", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
	boolean stacktrace;

	@Option(names = { "-v", "--verbose" }, scope = ScopeType.INHERIT, description = "Also log to stderr.")
	boolean verbose;

	/**
	 * Whether this JVM is the command-line process (signal handlers may be installed).
	 */
	boolean mainProcess;

	PrintStream out;

	PrintStream err;

	Path home() {
		if (this.home != null) {
			return this.home;
		}
		String env = System.getenv("KEYFERRY_HOME");
		return (env != null && !env.isBlank()) ? Path.of(env) : Path.of(System.getProperty("user.home"), ".keyferry");
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
			err.println("error: " + ex.getMessage());
			String name = ex.getCommandLine().getCommandSpec().qualifiedName();
			err.println("hint: see '" + name + " --help'");
			return ExitCode.USAGE;
		});
		cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
			KeyferryException known = KeyferryException.find(ex);
			if (top.stacktrace) {
				ex.printStackTrace(err);
			}
			if (known != null) {
				err.println("error: " + known.getMessage());
				if (known.getHint() != null) {
					err.println("hint: " + known.getHint());
				}
				return known.isUsage() ? ExitCode.USAGE : ExitCode.FAILED;
			}
			err.println("error: " + ex);
			err.println("hint: rerun with --stacktrace for details; the log is in " + top.home().resolve("logs"));
			return ExitCode.FAILED;
		});
		return cli.execute(args);
	}

	static final class Version implements CommandLine.IVersionProvider {

		@Override
		public String[] getVersion() {
			String version = KeyferryCommand.class.getPackage().getImplementationVersion();
			return new String[] { "keyferry " + ((version != null) ? version : "development build") };
		}

	}

}
