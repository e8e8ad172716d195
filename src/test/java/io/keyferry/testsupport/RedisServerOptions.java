package io.keyferry.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Options for a {@link RedisServer} parameter injected by {@link RedisServerExtension},
 * e.g. {@code @RedisServerOptions(old = true) RedisServer target}.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface RedisServerOptions {

	/**
	 * Extra redis-server arguments, see {@link RedisServer.Builder#args(String...)}.
	 * @return the arguments
	 */
	String[] args() default {};

	/**
	 * Password of the default user, see {@link RedisServer.Builder#password(String)};
	 * empty for none.
	 * @return the password
	 */
	String password() default "";

	/**
	 * Whether writes survive a kill, see {@link RedisServer.Builder#persistence()}.
	 * @return whether to persist
	 */
	boolean persistence() default false;

	/**
	 * Whether to run the Redis 6.2 server of embedded-redis, see
	 * {@link RedisServer#startOld()}.
	 * @return whether to run the old server
	 */
	boolean old() default false;

	/**
	 * How many seconds the server's wall clock runs ahead of this machine's (negative:
	 * behind), see {@link RedisServer.Builder#clockOffset(java.time.Duration)}.
	 * @return the offset in seconds
	 */
	long clockOffsetSeconds() default 0;

}
