package io.keyferry.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine;

/** Reads durations such as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

	private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h)?");

	@Override
	public Duration convert(String value) {
		Matcher matcher = FORMAT.matcher(value.trim());
		if (!matcher.matches()) {
			throw new CommandLine.TypeConversionException(
					"'" + value + "' is not a duration (examples: 500ms, 10s, 5m, 2h)");
		}
		long amount = Long.parseLong(matcher.group(1));
		String unit = (matcher.group(2) != null) ? matcher.group(2) : "s";
		return switch (unit) {
			case "ms" -> Duration.ofMillis(amount);
			case "m" -> Duration.ofMinutes(amount);
			case "h" -> Duration.ofHours(amount);
			default -> Duration.ofSeconds(amount);
		};
	}

}
