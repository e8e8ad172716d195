package io.keyferry.redis;

import java.time.Duration;
import java.util.Map;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Tests for {@link Endpoint}: parsing, redaction and passwords from the environment.
 */
class EndpointTests {

	@Test
	void parsesHostAndDefaultsPortAndDatabase() {
		Endpoint endpoint = Endpoint.parse("source", "redis://10.0.0.5");

		assertThat(endpoint.role()).isEqualTo("source");
		assertThat(endpoint.tls()).isFalse();
		assertThat(endpoint.host()).isEqualTo("10.0.0.5");
		assertThat(endpoint.port()).isEqualTo(6379);
		assertThat(endpoint.database()).isZero();
		assertThat(endpoint.user()).isNull();
		assertThat(endpoint.hasPassword()).isFalse();
		assertThat(endpoint.redacted()).isEqualTo("redis://10.0.0.5:6379/0");
	}

	@Test
	void parsesUserPasswordPortAndDatabase() {
		Endpoint endpoint = Endpoint.parse("target", "redis://app:s3cret@cache.example.com:6380/5");

		assertThat(endpoint.user()).isEqualTo("app");
		assertThat(endpoint.password()).containsExactly("s3cret".toCharArray());
		assertThat(endpoint.host()).isEqualTo("cache.example.com");
		assertThat(endpoint.port()).isEqualTo(6380);
		assertThat(endpoint.database()).isEqualTo(5);
		assertThat(endpoint.redacted()).isEqualTo("redis://app@cache.example.com:6380/5");
		assertThat(endpoint.address()).isEqualTo("cache.example.com:6380");
	}

	@Test
	void parsesPasswordWithoutUserAsDefaultUser() {
		Endpoint endpoint = Endpoint.parse("source", "redis://:pw@h:7000");

		assertThat(endpoint.user()).isNull();
		assertThat(endpoint.password()).containsExactly("pw".toCharArray());
		assertThat(endpoint.redacted()).isEqualTo("redis://h:7000/0");
	}

	@Test
	void percentDecodesUserAndPasswordAndKeepsPlusSigns() {
		Endpoint endpoint = Endpoint.parse("source", "redis://us%40er:p%3Aw%2Fd%40+x@h:1/0");

		assertThat(endpoint.user()).isEqualTo("us@er");
		assertThat(new String(endpoint.password())).isEqualTo("p:w/d@+x");
		assertThat(endpoint.redacted()).isEqualTo("redis://us%40er@h:1/0");
	}

	@Test
	void parsesIpv6Literal() {
		Endpoint endpoint = Endpoint.parse("source", "redis://u:pw@[::1]:6380/2");

		assertThat(endpoint.host()).isEqualTo("::1");
		assertThat(endpoint.port()).isEqualTo(6380);
		assertThat(endpoint.database()).isEqualTo(2);
		assertThat(endpoint.address()).isEqualTo("[::1]:6380");
		assertThat(endpoint.redacted()).isEqualTo("redis://u@[::1]:6380/2");
		assertThat(Endpoint.parse("source", endpoint.redacted())).isEqualTo(endpoint);
	}

	@Test
	void parsesTlsScheme() {
		Endpoint endpoint = Endpoint.parse("target", "REDISS://app:pw@secure.example.com:6380");

		assertThat(endpoint.tls()).isTrue();
		assertThat(endpoint.redacted()).isEqualTo("rediss://app@secure.example.com:6380/0");
		assertThat(endpoint.toRedisUri(Duration.ofSeconds(1)).isSsl()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "http://h:6379", "h:6379", "redis://", "redis:///0", "redis://h:0", "redis://h:70000",
			"redis://h/abc", "redis://h/-1", "redis://h/0?ssl=true", "redis://h/0#x", "redis://h:port",
			"redis://a b:6379", "", "   " })
	void rejectsInvalidUrisAsUsageErrorsWithAHint(String uri) {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class, () -> Endpoint.parse("source", uri));

		assertThat(ex).as("parsing '%s'", uri).isNotNull();
		assertThat(ex.isUsage()).isTrue();
		assertThat(ex.getMessage()).contains("source");
		assertThat(ex.getHint()).contains("redis://");
	}

	@Test
	void invalidUriMessageNeverContainsThePassword() {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class,
				() -> Endpoint.parse("target", "redis://app:hunter2secret@h:6379/notanumber"));

		assertThat(ex.getMessage()).contains("target").doesNotContain("hunter2secret");
		assertThat(ex.getHint()).doesNotContain("hunter2secret");
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis://app:hunter2secret@h:6379/1", "redis://:hunter2secret@h",
			"rediss://a%40b:hunter2secret@[fe80::1]:6380/3" })
	void redactedFormsNeverContainThePassword(String uri) {
		Endpoint endpoint = Endpoint.parse("source", uri);

		assertThat(endpoint.redacted()).doesNotContain("hunter2secret");
		assertThat(endpoint.toString()).doesNotContain("hunter2secret");
		assertThat(endpoint.address()).doesNotContain("hunter2secret");
		assertThat(endpoint.hasPassword()).isTrue();
		assertThat(Endpoint.parse("source", endpoint.redacted()).hasPassword()).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "rediss://:Ab/cD+eF9gh=@cache.example.com:6380", "redis://:Ab#cD@h:6379/0",
			"redis://app:Ab?cD@h:6379", "redis://app:Ab@cD@h:6379", "redis://:Ab cD@h", "redis://:50%off@h",
			"redis://a/pp:secret@h" })
	void userInfoWithReservedCharactersSaysToPercentEncodeOrUseTheVariable(String uri) {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class, () -> Endpoint.parse("source", uri));

		assertThat(ex).as("parsing '%s'", uri).isNotNull();
		assertThat(ex.isUsage()).isTrue();
		assertThat(ex.getMessage()).as("message for '%s'", uri)
			.startsWith("invalid source URI: the ")
			.contains("must be percent-encoded")
			.doesNotContain("host")
			.doesNotContain("query");
		assertThat(ex.getHint()).contains("%2F")
			.contains("%23")
			.contains("%40")
			.contains("%25")
			.contains("KEYFERRY_SOURCE_PASSWORD");
		String secret = uri.substring(uri.indexOf("://") + 3, uri.lastIndexOf('@'));
		for (String part : secret.split("[:/#?@ %]")) {
			if (part.length() > 1) {
				assertThat(ex.getMessage() + ex.getHint()).as("message and hint for '%s'", uri).doesNotContain(part);
			}
		}
	}

	@Test
	void percentEncodedAccessKeyIsDecoded() {
		Endpoint endpoint = Endpoint.parse("target",
				"rediss://:Ab%2FcD%23eF%3Fg%40h+ij%25%3D@myname.redis.cache.windows.net:6380");

		assertThat(new String(endpoint.password())).isEqualTo("Ab/cD#eF?g@h+ij%=");
		assertThat(endpoint.host()).isEqualTo("myname.redis.cache.windows.net");
		assertThat(endpoint.port()).isEqualTo(6380);
		assertThat(endpoint.redacted()).isEqualTo("rediss://myname.redis.cache.windows.net:6380/0");
	}

	@Test
	void hostNameWithUnderscoresIsAccepted() {
		Endpoint endpoint = Endpoint.parse("source", "redis://app:pw@redis_source-1.my_net:6390/3");

		assertThat(endpoint.host()).isEqualTo("redis_source-1.my_net");
		assertThat(endpoint.port()).isEqualTo(6390);
		assertThat(endpoint.database()).isEqualTo(3);
		assertThat(endpoint.redacted()).isEqualTo("redis://app@redis_source-1.my_net:6390/3");
		assertThat(Endpoint.parse("source", endpoint.redacted())).isEqualTo(endpoint);
		assertThat(endpoint.toRedisUri(Duration.ofSeconds(1)).getHost()).isEqualTo("redis_source-1.my_net");
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis://h/0?ssl=true", "redis://h:6379?timeout=5s" })
	void queryParametersAreRefusedAsSuch(String uri) {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class, () -> Endpoint.parse("source", uri));

		assertThat(ex.getMessage()).isEqualTo("invalid source URI: query parameters (?...) are not supported");
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis://ho!st:6379", "redis://h\\x:1", "redis://h{x}:1" })
	void invalidHostNameIsNamed(String uri) {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class, () -> Endpoint.parse("source", uri));

		assertThat(ex.getMessage()).startsWith("invalid source URI: the host ").contains("is not a valid host name");
	}

	@ParameterizedTest
	@ValueSource(strings = { "app", "a@b", "a:b", "a%b", "a/b", "a#b", "a?b", "a b", "a+b", "caf\u00e9" })
	void redactedFormParsesBackToTheSameEndpoint(String user) {
		// the redacted form is what job parameters store and what a resumed run parses
		Endpoint endpoint = new Endpoint("source", false, user, "pw".toCharArray(), "h", 6380, 2);

		Endpoint parsed = Endpoint.parse("source", endpoint.redacted());

		assertThat(parsed.user()).isEqualTo(user);
		assertThat(parsed).isEqualTo(endpoint);
	}

	@Test
	void equalityIgnoresThePassword() {
		Endpoint withPassword = Endpoint.parse("source", "redis://app:one@h:1/2");
		Endpoint otherPassword = Endpoint.parse("source", "redis://app:two@h:1/2");
		Endpoint otherRole = Endpoint.parse("target", "redis://app:one@h:1/2");

		assertThat(withPassword).isEqualTo(otherPassword).hasSameHashCodeAs(otherPassword);
		assertThat(withPassword).isNotEqualTo(otherRole);
	}

	@Test
	void takesPasswordFromTheRolesEnvironmentVariable() {
		Map<String, String> environment = Map.of("KEYFERRY_SOURCE_PASSWORD", "from-env-source",
				"KEYFERRY_TARGET_PASSWORD", "from-env-target");

		Endpoint source = Endpoint.parse("source", "redis://app@h:1").withPasswordFrom(environment::get);
		Endpoint target = Endpoint.parse("target", "redis://h:2").withPasswordFrom(environment::get);

		assertThat(source.passwordVariable()).isEqualTo("KEYFERRY_SOURCE_PASSWORD");
		assertThat(new String(source.password())).isEqualTo("from-env-source");
		assertThat(source.user()).isEqualTo("app");
		assertThat(new String(target.password())).isEqualTo("from-env-target");
		assertThat(source.redacted()).doesNotContain("from-env");
		assertThat(target.redacted()).doesNotContain("from-env");
	}

	@Test
	void passwordInTheUriWinsOverTheEnvironment() {
		Endpoint endpoint = Endpoint.parse("source", "redis://:from-uri@h:1").withPasswordFrom((name) -> "from-env");

		assertThat(new String(endpoint.password())).isEqualTo("from-uri");
	}

	@Test
	void emptyOrMissingEnvironmentVariableLeavesNoPassword() {
		assertThat(Endpoint.parse("source", "redis://h:1").withPasswordFrom((name) -> "").hasPassword()).isFalse();
		assertThat(Endpoint.parse("source", "redis://h:1").withPasswordFrom((name) -> null).hasPassword()).isFalse();
	}

	@Test
	void lettuceUriCarriesCredentialsAndDatabase() {
		RedisURI uri = Endpoint.parse("target", "redis://app:pw@h:6390/4").toRedisUri(Duration.ofSeconds(3));

		assertThat(uri.getHost()).isEqualTo("h");
		assertThat(uri.getPort()).isEqualTo(6390);
		assertThat(uri.getDatabase()).isEqualTo(4);
		RedisCredentials credentials = uri.getCredentialsProvider().resolveCredentials().block();
		assertThat(credentials.getUsername()).isEqualTo("app");
		assertThat(credentials.getPassword()).containsExactly("pw".toCharArray());
		assertThat(uri.getTimeout()).isEqualTo(Duration.ofSeconds(3));
		assertThat(uri.isSsl()).isFalse();
	}

	@Test
	void parsesSeveralSeedsKeepingTheFirstAsHostAndPort() {
		Endpoint endpoint = Endpoint.parse("source", "rediss://app:pw@h1:7000,h2:7001,[::1]:7002,h4");

		assertThat(endpoint.host()).isEqualTo("h1");
		assertThat(endpoint.port()).isEqualTo(7000);
		assertThat(endpoint.database()).isZero();
		assertThat(endpoint.tls()).isTrue();
		assertThat(endpoint.moreSeeds()).containsExactly(new Endpoint.Seed("h2", 7001), new Endpoint.Seed("::1", 7002),
				new Endpoint.Seed("h4", 6379));
		assertThat(endpoint.redacted()).isEqualTo("rediss://app@h1:7000,h2:7001,[::1]:7002,h4:6379/0");
		assertThat(endpoint.address()).isEqualTo("h1:7000");
	}

	@Test
	void eachSeedIsAnEndpointWithTheSameCredentials() {
		Endpoint endpoint = Endpoint.parse("source", "redis://app:pw@h1:7000,h2:7001/0");

		assertThat(endpoint.seeds()).extracting(Endpoint::redacted)
			.containsExactly("redis://app@h1:7000/0", "redis://app@h2:7001/0");
		assertThat(endpoint.seeds()).allSatisfy((seed) -> {
			assertThat(seed.password()).containsExactly("pw".toCharArray());
			assertThat(seed.moreSeeds()).isEmpty();
		});
		assertThat(Endpoint.parse("source", "redis://h1:7000").seeds())
			.containsExactly(Endpoint.parse("source", "redis://h1:7000"));
	}

	@Test
	void severalSeedsRoundTripThroughTheRedactedFormAndKeepThePasswordFromTheEnvironment() {
		Endpoint endpoint = Endpoint.parse("source", "redis://app@h1:7000,h2:7001")
			.withPasswordFrom((name) -> "from-env");

		Endpoint parsed = Endpoint.parse("source", endpoint.redacted());

		assertThat(parsed).isEqualTo(endpoint);
		assertThat(parsed.moreSeeds()).isEqualTo(endpoint.moreSeeds());
		assertThat(endpoint.moreSeeds()).containsExactly(new Endpoint.Seed("h2", 7001));
		assertThat(endpoint.redacted()).isEqualTo("redis://app@h1:7000,h2:7001/0").doesNotContain("from-env");
		assertThat(endpoint.seeds()).allSatisfy((seed) -> assertThat(seed.password()).isNotNull());
	}

	@Test
	void seedOrderMattersToEquality() {
		// the redacted form is compared on resume: a run is resumed with the URI it
		// started with
		assertThat(Endpoint.parse("source", "redis://h1:1,h2:2"))
			.isNotEqualTo(Endpoint.parse("source", "redis://h2:2,h1:1"))
			.isNotEqualTo(Endpoint.parse("source", "redis://h1:1"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis://h1:1,", "redis://,h1:1", "redis://h1:1,,h2:2" })
	void emptySeedIsNamed(String uri) {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class, () -> Endpoint.parse("source", uri));

		assertThat(ex.getMessage()).isEqualTo("invalid source URI: a seed in the host list (h1:p1,h2:p2) is empty");
		assertThat(ex.isUsage()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis://h1:1,h2:0", "redis://h1:1,h2:x", "redis://h1:1,h!2:3", "redis://h1:1,[::1" })
	void invalidFurtherSeedIsRefused(String uri) {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class, () -> Endpoint.parse("source", uri));

		assertThat(ex.getMessage()).startsWith("invalid source URI: ");
		assertThat(ex.getHint()).contains("host1:port1,host2:port2");
	}

	@ParameterizedTest
	@ValueSource(
			strings = { "redis://h:6379/0", "redis://h:6379/3", "rediss://u:p%2F1@h:6379/15", "redis://u:a/b@h/2" })
	void aUriWithADatabaseNamesIt(String uri) {
		assertThat(Endpoint.namesDatabase(uri)).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis://h:6379", "redis://h:6379/", "redis://u:pass/word@h:6379", "redis://h1:1,h2:2" })
	void aUriWithoutAPathNamesNoDatabase(String uri) {
		assertThat(Endpoint.namesDatabase(uri)).isFalse();
	}

	@Test
	void withDatabaseKeepsCredentialsAndSelectsTheDatabase() {
		Endpoint endpoint = Endpoint.parse("source", "redis://app:secret@h:6379").withDatabase(15);

		assertThat(endpoint.redacted()).isEqualTo("redis://app@h:6379/15");
		assertThat(endpoint.hasPassword()).isTrue();
		assertThat(endpoint.toRedisUri(Duration.ofSeconds(1)).getDatabase()).isEqualTo(15);
	}

	@Test
	void parsesSentinelUriWithSeveralSentinelsAndTheMasterName() {
		Endpoint endpoint = Endpoint.parse("source", "redis-sentinel://app:s3cret@s1.example.com:26380,s2/3#mymaster");

		assertThat(endpoint.isSentinel()).isTrue();
		assertThat(endpoint.sentinel().master()).isEqualTo("mymaster");
		assertThat(endpoint.host()).isEqualTo("s1.example.com");
		assertThat(endpoint.port()).isEqualTo(26380);
		assertThat(endpoint.moreSeeds()).containsExactly(new Endpoint.Seed("s2", 26379));
		assertThat(endpoint.database()).isEqualTo(3);
		assertThat(endpoint.user()).isEqualTo("app");
		assertThat(endpoint.password()).containsExactly("s3cret".toCharArray());
		assertThat(endpoint.seeds()).containsExactly(endpoint);
		assertThat(endpoint.redacted()).isEqualTo("redis-sentinel://app@s1.example.com:26380,s2:26379/3#mymaster");
		assertThat(Endpoint.parse("source", endpoint.redacted())).isEqualTo(endpoint);
	}

	@Test
	void sentinelUriWithTlsAndDefaults() {
		Endpoint endpoint = Endpoint.parse("target", "rediss-sentinel://10.0.0.1#cache-1.prod_a");

		assertThat(endpoint.tls()).isTrue();
		assertThat(endpoint.port()).isEqualTo(26379);
		assertThat(endpoint.database()).isZero();
		assertThat(endpoint.sentinel().master()).isEqualTo("cache-1.prod_a");
		assertThat(endpoint.redacted()).isEqualTo("rediss-sentinel://10.0.0.1:26379/0#cache-1.prod_a");
	}

	@Test
	void sentinelAndPlainUrisOfTheSameHostAreDifferentEndpoints() {
		Endpoint sentinel = Endpoint.parse("source", "redis-sentinel://h:26379#m");

		assertThat(sentinel).isNotEqualTo(Endpoint.parse("source", "redis://h:26379"));
		assertThat(sentinel).isNotEqualTo(Endpoint.parse("source", "redis-sentinel://h:26379#other"));
		assertThat(Endpoint.parse("source", "redis://h:1").isSentinel()).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis-sentinel://h:26379", "redis-sentinel://h:26379/0#", "redis-sentinel://h#" })
	void sentinelUriWithoutMasterNameIsRefusedWithAHint(String uri) {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class, () -> Endpoint.parse("source", uri));

		assertThat(ex.isUsage()).isTrue();
		assertThat(ex.getMessage()).isEqualTo("invalid source URI: a Sentinel URI names no master");
		assertThat(ex.getHint()).contains("#<master name>", "SENTINEL MASTERS");
	}

	@Test
	void sentinelMasterNameWithOddCharactersIsRefused() {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class,
				() -> Endpoint.parse("source", "redis-sentinel://h:1#my master"));

		assertThat(ex.getMessage()).contains("master name");
	}

	@Test
	void plainUriStillRefusesAFragment() {
		KeyferryException ex = catchThrowableOfType(KeyferryException.class,
				() -> Endpoint.parse("source", "redis://h:1#mymaster"));

		assertThat(ex.getMessage()).isEqualTo("invalid source URI: a fragment (#...) is not supported");
		assertThat(ex.getHint()).contains("redis-sentinel://");
	}

	@Test
	void sentinelLettuceUriAuthenticatesTheMasterAndNotTheSentinels() {
		Endpoint endpoint = Endpoint.parse("source", "redis-sentinel://app:s3cret@s1:26380,s2:26381/2#mymaster");

		RedisURI uri = endpoint.toRedisUri(Duration.ofSeconds(3));

		assertThat(uri.getSentinelMasterId()).isEqualTo("mymaster");
		assertThat(uri.getDatabase()).isEqualTo(2);
		assertThat(uri.getSentinels()).extracting(RedisURI::getHost, RedisURI::getPort)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("s1", 26380),
					org.assertj.core.groups.Tuple.tuple("s2", 26381));
		RedisCredentials master = uri.getCredentialsProvider().resolveCredentials().block();
		assertThat(master.getUsername()).isEqualTo("app");
		assertThat(master.getPassword()).containsExactly("s3cret".toCharArray());
		for (RedisURI sentinel : uri.getSentinels()) {
			RedisCredentials credentials = sentinel.getCredentialsProvider().resolveCredentials().block();
			assertThat(credentials.hasPassword()).isFalse();
		}
	}

	@Test
	void sentinelPasswordComesFromItsOwnVariableAndGoesToTheSentinelsOnly() {
		Map<String, String> environment = Map.of("KEYFERRY_SOURCE_PASSWORD", "data-pw",
				"KEYFERRY_SOURCE_SENTINEL_PASSWORD", "sentinel-pw");

		Endpoint endpoint = Endpoint.parse("source", "redis-sentinel://s1:26380,s2:26381#m")
			.withPasswordFrom(environment::get);
		RedisURI uri = endpoint.toRedisUri(Duration.ofSeconds(3));

		assertThat(endpoint.sentinelPasswordVariable()).isEqualTo("KEYFERRY_SOURCE_SENTINEL_PASSWORD");
		assertThat(uri.getCredentialsProvider().resolveCredentials().block().getPassword())
			.containsExactly("data-pw".toCharArray());
		for (RedisURI sentinel : uri.getSentinels()) {
			assertThat(sentinel.getCredentialsProvider().resolveCredentials().block().getPassword())
				.containsExactly("sentinel-pw".toCharArray());
		}
		assertThat(endpoint.redacted()).isEqualTo("redis-sentinel://s1:26380,s2:26381/0#m")
			.doesNotContain("pw")
			.isEqualTo(endpoint.toString());
		assertThat(endpoint.sentinel().toString()).doesNotContain("pw");
	}

	@Test
	void withTlsKeepsTheSentinel() {
		Endpoint endpoint = Endpoint.parse("source", "rediss-sentinel://s1#m").withTls(TlsSettings.DEFAULT);

		assertThat(endpoint.sentinel().master()).isEqualTo("m");
	}

}
