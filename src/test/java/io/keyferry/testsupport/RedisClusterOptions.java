package io.keyferry.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Options for a {@link RedisCluster} parameter injected by {@link RedisClusterExtension},
 * e.g. {@code @RedisClusterOptions(masters = 4, replicas = 0) RedisCluster target}.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface RedisClusterOptions {

	/**
	 * The number of masters, see {@link RedisCluster.Builder#masters(int)}.
	 * @return at least 3
	 */
	int masters() default 3;

	/**
	 * The number of replicas of each master, see
	 * {@link RedisCluster.Builder#replicasPerMaster(int)}.
	 * @return 0 or more
	 */
	int replicas() default 1;

	/**
	 * Whether writes survive a restart, see {@link RedisCluster.Builder#persistence()}.
	 * @return whether to persist
	 */
	boolean persistence() default false;

	/**
	 * Password of the default user on every node, see
	 * {@link RedisCluster.Builder#password(String)}; empty for none.
	 * @return the password
	 */
	String password() default "";

}
