package io.keyferry.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.keyferry.KeyferryException;
import io.keyferry.redis.Endpoint;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads a YAML file of copy options ({@code source: …}, {@code match: …},
 * {@code chunk-size: …}) into command-line arguments, which are placed before the real
 * ones so that the command line overrides the file. Secrets never come from the file: a
 * password in a URI or a key holding a password is refused; name a file instead
 * ({@code source-password-file}).
 */
final class ConfigFile {

	/** Options that may be given several times: a YAML list in the file. */
	private static final Set<String> REPEATABLE = Set.of("rename-prefix");

	private ConfigFile() {
	}

	/**
	 * Converts the file to arguments.
	 * @param file the YAML file
	 * @param allowed the long option names (without dashes) the command accepts
	 * @param flags those of them that take no value ({@code true} or {@code false} in the
	 * file)
	 * @return the arguments, e.g. {@code --source redis://h:6379 --chunk-size 500}
	 */
	static List<String> arguments(Path file, Set<String> allowed, Set<String> flags) {
		Map<?, ?> values;
		try (Reader reader = Files.newBufferedReader(file)) {
			Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
			if (loaded == null) {
				return List.of();
			}
			if (!(loaded instanceof Map<?, ?> map)) {
				throw invalid(file, "it must be a mapping of option names to values");
			}
			values = map;
		}
		catch (IOException ex) {
			throw KeyferryException.usage("cannot read the config file " + file + ": " + ex.getMessage(),
					"check the path given to --config");
		}
		catch (YAMLException ex) {
			throw invalid(file, ex.getMessage().lines().findFirst().orElse("not YAML"));
		}
		List<String> arguments = new ArrayList<>();
		for (Map.Entry<?, ?> entry : values.entrySet()) {
			String name = String.valueOf(entry.getKey()).trim();
			Object value = entry.getValue();
			if (name.toLowerCase(Locale.ROOT).contains("password") && !name.endsWith("-file")) {
				throw KeyferryException.usage("the config file " + file + " holds a password ('" + name + "')",
						"keep secrets out of config files: use source-password-file / target-password-file, "
								+ "or KEYFERRY_SOURCE_PASSWORD / KEYFERRY_TARGET_PASSWORD");
			}
			if (!allowed.contains(name) || "config".equals(name)) {
				throw invalid(file, "unknown option '" + name + "'");
			}
			if (("source".equals(name) || "target".equals(name)) && value != null
					&& Endpoint.parse(name, String.valueOf(value)).hasPassword()) {
				throw KeyferryException.usage("the config file " + file + " holds a password in its " + name + " URI",
						"remove it from the URI and use " + name + "-password-file or KEYFERRY_"
								+ name.toUpperCase(Locale.ROOT) + "_PASSWORD");
			}
			if (flags.contains(name)) {
				if (Boolean.TRUE.equals(value)) {
					arguments.add("--" + name);
				}
				else if (!Boolean.FALSE.equals(value)) {
					throw invalid(file, "'" + name + "' must be true or false");
				}
				continue;
			}
			if (REPEATABLE.contains(name) && value instanceof List<?> list) {
				for (Object element : list) {
					if (element == null || element instanceof Map || element instanceof List) {
						throw invalid(file, "'" + name + "' must be a list of single values");
					}
					arguments.add("--" + name);
					arguments.add(String.valueOf(element));
				}
				continue;
			}
			if (value == null || value instanceof Map || value instanceof List) {
				throw invalid(file, "'" + name + "' must have a single value");
			}
			arguments.add("--" + name);
			arguments.add(String.valueOf(value));
		}
		return arguments;
	}

	private static KeyferryException invalid(Path file, String why) {
		return KeyferryException.usage("invalid config file " + file + ": " + why,
				"see config/nightly.yml for an example; option names are the long command-line options without '--'");
	}

	/**
	 * Fills the options of a command not given on its command line from its
	 * {@code --config} file.
	 * @param spec the command's spec, parsed
	 * @param config the file, or {@code null}
	 * @param command the subcommand's name
	 */
	static void apply(picocli.CommandLine.Model.CommandSpec spec, Path config, String command) {
		if (config == null) {
			return;
		}
		Set<String> names = new java.util.HashSet<>();
		Set<String> flags = new java.util.HashSet<>();
		spec.options().forEach((option) -> {
			String name = option.longestName().replaceFirst("^--", "");
			names.add(name);
			if (option.arity().max() == 0) {
				flags.add(name);
			}
		});
		List<String> arguments = arguments(config, names, flags);
		picocli.CommandLine fileLine = new picocli.CommandLine(new KeyferryCommand());
		List<String> all = new java.util.ArrayList<>();
		all.add(command);
		all.addAll(arguments);
		picocli.CommandLine.ParseResult fileResult;
		try {
			fileResult = fileLine.parseArgs(all.toArray(String[]::new)).subcommand();
		}
		catch (picocli.CommandLine.ParameterException ex) {
			throw KeyferryException.usage("invalid config file " + config + ": " + ex.getMessage(),
					"option names are the long command-line options without '--'");
		}
		picocli.CommandLine.ParseResult given = spec.commandLine().getParseResult();
		for (picocli.CommandLine.Model.OptionSpec option : spec.options()) {
			picocli.CommandLine.Model.OptionSpec fileOption = fileResult.matchedOption(option.longestName());
			if (fileOption != null && !given.hasMatchedOption(option.longestName())) {
				option.setValue(fileOption.getValue());
			}
		}
	}

	/**
	 * Reads a secret from a file (a mounted secret): its content without the trailing
	 * newline.
	 * @param file the file
	 * @param what what it is, for messages
	 * @return the secret
	 */
	static String readSecret(Path file, String what) {
		try {
			String secret = Files.readString(file);
			return secret.strip();
		}
		catch (IOException ex) {
			throw KeyferryException.usage(
					"cannot read the " + what + " file " + file + ": " + ex.getClass().getSimpleName(),
					"check the path and its permissions");
		}
	}

}
