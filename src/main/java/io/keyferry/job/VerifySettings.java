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
 * @param fix whether the keys that still differ after the last pass are copied again
 * ({@code --fix}) and then compared once more
 * @param deleteExtra whether the extra keys are deleted from the target
 * ({@code --delete-extra}, only with {@code fix} and {@code extra})
 */
public record VerifySettings(CopySettings copy, Duration ttlTolerance, int passes, Duration passPause, boolean extra,
		boolean fix, boolean deleteExtra) {

	/** The default {@link #passes}. */
	public static final int DEFAULT_PASSES = 3;

	/** The default {@link #passPause}. */
	public static final Duration DEFAULT_PASS_PAUSE = Duration.ofSeconds(1);

	/**
	 * A verify without a fix.
	 */
	public VerifySettings(CopySettings copy, Duration ttlTolerance, int passes, Duration passPause, boolean extra) {
		this(copy, ttlTolerance, passes, passPause, extra, false, false);
	}

	/**
	 * The verify that {@code copy --verify} runs after a copy: the copy's source, target,
	 * filter and options, the default passes, no extra scan, no fix.
	 * @param copy the copy's settings
	 * @return the settings (run number 0: the launcher picks it)
	 */
	public static VerifySettings after(CopySettings copy) {
		return new VerifySettings(copy.withRun(0), DEFAULT_TTL_TOLERANCE, DEFAULT_PASSES, DEFAULT_PASS_PAUSE, false);
	}

	/** The default {@link #ttlTolerance}. */
	public static final Duration DEFAULT_TTL_TOLERANCE = Duration.ofMillis(100);

	/**
	 * The key that identifies "the same verify" across runs: the copy's identity and
	 * {@code --extra}, and for a fix, {@code --fix} and {@code --delete-extra} (a verify
	 * and a verify that fixes are runs of their own).
	 * @return a hex digest
	 */
	public String verifyKey() {
		String identity = "verify\n" + this.copy.copyKey() + "\n" + this.extra
				+ (this.fix ? "\nfix " + this.deleteExtra : "");
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
		return new VerifySettings(newCopy, this.ttlTolerance, this.passes, this.passPause, this.extra, this.fix,
				this.deleteExtra);
	}

	/**
	 * The job parameters of this run: the copy's, its copy key replaced by the verify
	 * key, and the comparison's options. No secrets.
	 * @return the parameters
	 */
	public JobParameters toJobParameters() {
		return new JobParametersBuilder(this.copy.toJobParameters()).addString(JobNames.COPY_KEY, verifyKey(), false)
			.addString(JobNames.EXTRA, Boolean.toString(this.extra), true)
			.addString(JobNames.FIX, Boolean.toString(this.fix), true)
			.addString(JobNames.DELETE_EXTRA, Boolean.toString(this.deleteExtra), true)
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
				parameters.getLong(JobNames.PASSES, (long) DEFAULT_PASSES).intValue(),
				Duration.ofMillis(parameters.getLong(JobNames.PASS_PAUSE_MS, DEFAULT_PASS_PAUSE.toMillis())),
				Boolean.parseBoolean(parameters.getString(JobNames.EXTRA, "false")),
				Boolean.parseBoolean(parameters.getString(JobNames.FIX, "false")),
				Boolean.parseBoolean(parameters.getString(JobNames.DELETE_EXTRA, "false")));
	}

}
