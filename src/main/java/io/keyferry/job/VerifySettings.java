package io.keyferry.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;

/**
 * Everything a verify run needs: the copy's settings it checks (endpoints, filter, rename
 * rules, scanning and tuning options, stored as the same job parameters so that a
 * partition opens its connections as a copy's does) and the comparison's own options. The
 * {@link JobNames#COPY_KEY} parameter of a verify run holds {@link #verifyKey()}, so
 * verify runs are found, leased and resumed apart from the copies they check. Immutable.
 *
 * @param copy the copy's settings (never a dry run)
 * @param ttlTolerance how far two expiries may be apart and still count as the same
 * @param passes how many times a key that differs is compared (the first pass included)
 * @param passPause the pause before each later pass
 * @param extra whether the target is scanned for keys of the filter the source lacks
 */
public record VerifySettings(CopySettings copy, Duration ttlTolerance, int passes, Duration passPause, boolean extra) {

	/** The default {@link #ttlTolerance}. */
	public static final Duration DEFAULT_TTL_TOLERANCE = Duration.ofMillis(100);

	/**
	 * The key that identifies "the same verify" across runs: the copy's identity and
	 * {@code --extra}.
	 * @return a hex digest
	 */
	public String verifyKey() {
		String identity = "verify\n" + this.copy.copyKey() + "\n" + this.extra;
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest, 0, 16);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public long run() {
		return this.copy.run();
	}

	public VerifySettings withCopy(CopySettings newCopy) {
		return new VerifySettings(newCopy, this.ttlTolerance, this.passes, this.passPause, this.extra);
	}

	/**
	 * The job parameters of this run: the copy's, its copy key replaced by the verify
	 * key, and the comparison's options. No secrets.
	 * @return the parameters
	 */
	public JobParameters toJobParameters() {
		return new JobParametersBuilder(this.copy.toJobParameters()).addString(JobNames.COPY_KEY, verifyKey(), false)
			.addString(JobNames.EXTRA, Boolean.toString(this.extra), true)
			.addLong(JobNames.TTL_TOLERANCE_MS, this.ttlTolerance.toMillis(), false)
			.addLong(JobNames.PASSES, (long) this.passes, false)
			.addLong(JobNames.PASS_PAUSE_MS, this.passPause.toMillis(), false)
			.toJobParameters();
	}

	/**
	 * Reads the settings of a stored verify run; the endpoints carry no password.
	 * @param parameters the stored parameters
	 * @return the settings
	 */
	public static VerifySettings fromJobParameters(JobParameters parameters) {
		return new VerifySettings(CopySettings.fromJobParameters(parameters),
				Duration.ofMillis(parameters.getLong(JobNames.TTL_TOLERANCE_MS, DEFAULT_TTL_TOLERANCE.toMillis())),
				parameters.getLong(JobNames.PASSES, 3L).intValue(),
				Duration.ofMillis(parameters.getLong(JobNames.PASS_PAUSE_MS, 1000L)),
				Boolean.parseBoolean(parameters.getString(JobNames.EXTRA, "false")));
	}

}
