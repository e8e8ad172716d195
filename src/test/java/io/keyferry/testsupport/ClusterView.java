package io.keyferry.testsupport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One node's view of a Redis Cluster: its {@code CLUSTER NODES} reply, parsed. Slot
 * ranges are read into sets; the {@code [slot->-id]} (migrating) and {@code [slot-<-id]}
 * (importing) entries that a node lists only on its own line are kept apart. Immutable.
 */
final class ClusterView {

	static final int SLOTS = 16384;

	private final String text;

	private final Map<String, Entry> entries;

	private ClusterView(String text, Map<String, Entry> entries) {
		this.text = text;
		this.entries = Collections.unmodifiableMap(entries);
	}

	/**
	 * One line of {@code CLUSTER NODES}.
	 *
	 * @param id the node id
	 * @param port the client port the node announces
	 * @param flags {@code myself}, {@code master}, {@code slave}, {@code fail?},
	 * {@code fail}, {@code handshake}, {@code noaddr}, ...
	 * @param masterId the id of its master, {@code -} for a master
	 * @param slots the slots it serves
	 * @param migrations the open migrations it lists, e.g. {@code [93->-<id>]}
	 */
	record Entry(String id, int port, Set<String> flags, String masterId, BitSet slots, List<String> migrations) {

		boolean master() {
			return this.flags.contains("master");
		}

		boolean replica() {
			return this.flags.contains("slave");
		}

		boolean myself() {
			return this.flags.contains("myself");
		}

		/** Failing, suspected of failing, or not fully known yet. */
		boolean unhealthy() {
			return this.flags.contains("fail") || this.flags.contains("fail?") || this.flags.contains("handshake")
					|| this.flags.contains("noaddr");
		}

		boolean failed() {
			return this.flags.contains("fail");
		}

		/** Role, master and slots: what all nodes must agree on. */
		String agreement() {
			return this.id + " " + (master() ? "master" : "replica of " + this.masterId) + " " + ranges(this.slots);
		}

		@Override
		public BitSet slots() {
			return (BitSet) this.slots.clone();
		}

	}

	/**
	 * Parses a {@code CLUSTER NODES} reply.
	 * @param text the reply
	 * @return the view
	 */
	static ClusterView parse(String text) {
		Map<String, Entry> entries = new LinkedHashMap<>();
		for (String line : text.split("\n")) {
			if (line.isBlank()) {
				continue;
			}
			String[] fields = line.trim().split(" ");
			if (fields.length < 8) {
				throw new IllegalArgumentException("not a CLUSTER NODES line: " + line);
			}
			// ip:port@cport[,hostname]
			String hostPort = fields[1].split("[@,]", 2)[0];
			int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
			Set<String> flags = Set.of(fields[2].split(","));
			BitSet slots = new BitSet(SLOTS);
			List<String> migrations = new ArrayList<>();
			for (String range : Arrays.asList(fields).subList(8, fields.length)) {
				if (range.startsWith("[")) {
					migrations.add(range);
				}
				else {
					int dash = range.indexOf('-');
					int from = Integer.parseInt((dash < 0) ? range : range.substring(0, dash));
					int to = (dash < 0) ? from : Integer.parseInt(range.substring(dash + 1));
					slots.set(from, to + 1);
				}
			}
			entries.put(fields[0], new Entry(fields[0], port, flags, fields[3], slots, List.copyOf(migrations)));
		}
		return new ClusterView(text, entries);
	}

	/** The reply this view was parsed from. */
	String text() {
		return this.text;
	}

	Map<String, Entry> entries() {
		return this.entries;
	}

	Optional<Entry> entry(String id) {
		return Optional.ofNullable(this.entries.get(id));
	}

	Entry myself() {
		return this.entries.values()
			.stream()
			.filter(Entry::myself)
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("CLUSTER NODES has no 'myself' line:\n" + this.text));
	}

	/**
	 * The id of the master that serves a slot.
	 * @param slot the slot
	 * @return the id, empty when no master serves it
	 */
	Optional<String> ownerOf(int slot) {
		return this.entries.values()
			.stream()
			.filter((entry) -> entry.master() && entry.slots.get(slot))
			.map(Entry::id)
			.findFirst();
	}

	/**
	 * The slots a node serves.
	 * @param id the node id
	 * @return the slots, empty for a replica or an unknown node
	 */
	SortedSet<Integer> slotsOf(String id) {
		SortedSet<Integer> slots = new TreeSet<>();
		entry(id).ifPresent((entry) -> entry.slots.stream().forEach(slots::add));
		return Collections.unmodifiableSortedSet(slots);
	}

	/**
	 * The ids of the replicas of a master.
	 * @param masterId the master's id
	 * @return the replicas' ids
	 */
	List<String> replicasOf(String masterId) {
		return this.entries.values()
			.stream()
			.filter((entry) -> entry.replica() && entry.masterId.equals(masterId))
			.map(Entry::id)
			.toList();
	}

	/** The number of slots served by some master. */
	int assignedSlots() {
		BitSet all = new BitSet(SLOTS);
		this.entries.values().stream().filter(Entry::master).forEach((entry) -> all.or(entry.slots));
		return all.cardinality();
	}

	/**
	 * Slots as ranges, e.g. {@code 0-5460,5462}.
	 * @param slots the slots
	 * @return the ranges, {@code -} for none
	 */
	static String ranges(BitSet slots) {
		StringBuilder ranges = new StringBuilder();
		int from = slots.nextSetBit(0);
		while (from >= 0) {
			int to = slots.nextClearBit(from) - 1;
			if (!ranges.isEmpty()) {
				ranges.append(',');
			}
			ranges.append(from);
			if (to > from) {
				ranges.append('-').append(to);
			}
			from = slots.nextSetBit(to + 1);
		}
		return ranges.isEmpty() ? "-" : ranges.toString();
	}

}
