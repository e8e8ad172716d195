package io.keyferry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The house of DESIGN.md "Where code lives": no package cycles among keyferry's packages,
 * nothing imports {@code cli}, and {@code job/item} and {@code redis} stay on their side.
 * Read from the imports of the main sources (a class of the same package needs none, so
 * those are the dependencies).
 */
class PackageCyclesTests {

	private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.keyferry[\\w.]*?)\\.[A-Z]",
			Pattern.MULTILINE);

	@Test
	void thePackagesFormNoCycle() throws IOException {
		Map<String, Set<String>> graph = dependencies();
		assertThat(graph).as("packages found").containsKeys("io.keyferry.job", "io.keyferry.run", "io.keyferry.redis");
		List<String> cycle = findCycle(graph);
		assertThat(cycle).as("a package cycle in %s", graph).isEmpty();
	}

	@Test
	void lowerRoomsDoNotReachUp() throws IOException {
		Map<String, Set<String>> graph = dependencies();
		graph.forEach((pkg, deps) -> assertThat(deps).as("%s imports cli", pkg).doesNotContain("io.keyferry.cli"));
		assertThat(graph.get("io.keyferry.redis")).as("redis/").isSubsetOf("io.keyferry");
		assertThat(graph.get("io.keyferry.job.item")).as("job/item/").isSubsetOf("io.keyferry", "io.keyferry.redis");
		assertThat(graph.get("io.keyferry.job")).as("job/").doesNotContain("io.keyferry.run", "io.keyferry.report");
	}

	private static Map<String, Set<String>> dependencies() throws IOException {
		Path root = Path.of("src", "main", "java");
		Map<String, Set<String>> graph = new TreeMap<>();
		try (Stream<Path> files = Files.walk(root)) {
			for (Path file : files.filter((f) -> f.toString().endsWith(".java")).toList()) {
				String pkg = root.relativize(file.getParent())
					.toString()
					.replace(file.getFileSystem().getSeparator(), ".");
				Set<String> deps = graph.computeIfAbsent(pkg, (p) -> new TreeSet<>());
				Matcher imports = IMPORT.matcher(Files.readString(file));
				while (imports.find()) {
					if (!imports.group(1).equals(pkg)) {
						deps.add(imports.group(1));
					}
				}
			}
		}
		return graph;
	}

	private static List<String> findCycle(Map<String, Set<String>> graph) {
		Map<String, Integer> state = new TreeMap<>();
		for (String start : graph.keySet()) {
			List<String> path = new ArrayList<>();
			if (visit(start, graph, state, path)) {
				return path;
			}
		}
		return List.of();
	}

	/** Depth-first; state 1 = on the path, 2 = done. */
	private static boolean visit(String pkg, Map<String, Set<String>> graph, Map<String, Integer> state,
			List<String> path) {
		Integer s = state.get(pkg);
		if (s != null) {
			if (s == 1) {
				path.add(pkg);
				return true;
			}
			return false;
		}
		state.put(pkg, 1);
		path.add(pkg);
		for (String next : graph.getOrDefault(pkg, Set.of())) {
			if (visit(next, graph, state, path)) {
				return true;
			}
		}
		path.remove(path.size() - 1);
		state.put(pkg, 2);
		return false;
	}

}
