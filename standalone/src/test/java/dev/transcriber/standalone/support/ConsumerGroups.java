package dev.transcriber.standalone.support;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;

/** What the broker knows of a consumer group. */
public final class ConsumerGroups {

    private ConsumerGroups() {}

    /** The ids of the group's members, or none while it rebalances. */
    public static Set<String> stableMembers(Admin admin, String group) throws Exception {
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                .describedGroups()
                .get(group)
                .get(10, TimeUnit.SECONDS);
        if (description.groupState() != GroupState.STABLE) {
            return Set.of();
        }
        return description.members().stream().map(MemberDescription::consumerId).collect(Collectors.toSet());
    }
}
